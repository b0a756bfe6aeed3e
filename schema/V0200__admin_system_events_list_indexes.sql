-- Indexes behind notifydb.list_events and notifydb.event_summary.
--
-- Every list is "newest first" (id DESC: ids are identities, so id order is
-- creation order) under three filters: tenant (or all tenants), minimum
-- severity, unresolved only. A minimum severity is a set of one to four
-- severities; list_events probes one index range per severity in that set,
-- each already in id order, and keeps the newest p_limit of the (at most
-- 4 x p_limit) rows it got. So every index has severity before id, and four
-- indexes serve all 2 x 5 x 2 filter combinations without a sort of the
-- table or a filter that reads rows it then throws away:
--
--                     all events                    unresolved only
--   one tenant        (tenant_id, severity, id)     same, WHERE NOT is_resolved
--   all tenants       (severity, id)                same, WHERE NOT is_resolved
--
-- The unresolved ones are partial: events are curated and get resolved, so
-- these stay small and hot, and the admin's "open events" page and
-- event_summary's counts read only them (index-only once vacuumed).
-- id is ascending (backward scans are as cheap): new ids then land at the
-- end of their (tenant, severity) run, where B-tree page splits pack pages
-- full instead of half.
-- The seed's created_at indexes are not needed: id order is creation order.
-- Plain CREATE INDEX: the table is new in this release, so it is empty here.
SET LOCAL ROLE notifydb_owner;

CREATE INDEX admin_system_events_tenant_severity_idx
ON notifydb.admin_system_events (tenant_id, severity, id);

CREATE INDEX admin_system_events_severity_idx
ON notifydb.admin_system_events (severity, id);

CREATE INDEX admin_system_events_open_tenant_severity_idx
ON notifydb.admin_system_events (tenant_id, severity, id)
WHERE NOT is_resolved;

CREATE INDEX admin_system_events_open_severity_idx
ON notifydb.admin_system_events (severity, id)
WHERE NOT is_resolved;

COMMENT ON INDEX notifydb.admin_system_events_tenant_severity_idx IS
'list_events for one tenant: one id-ordered range per severity.';
COMMENT ON INDEX notifydb.admin_system_events_severity_idx IS
'list_events for all tenants: one id-ordered range per severity.';
COMMENT ON INDEX notifydb.admin_system_events_open_tenant_severity_idx IS
'Unresolved events of one tenant, per severity: list_events and event_summary.';
COMMENT ON INDEX notifydb.admin_system_events_open_severity_idx IS
'Unresolved events of all tenants, per severity: list_events and event_summary.';
