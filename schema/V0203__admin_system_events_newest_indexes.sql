-- notifydb:no-transaction
-- Indexes for list_events without a severity filter (p_min_severity NULL or
-- 'low'), its most frequent calls: one backward scan of one of these returns
-- the page directly, in id order, where the per-severity indexes of V0200
-- need up to four probes, a sort of their ids and a second lookup of each row by
-- primary key. For all tenants and all events the primary key itself is that
-- scan.
--
--                     all events          unresolved only
--   one tenant        (tenant_id, id)     same, WHERE NOT is_resolved
--   all tenants       primary key (id)    (none: V0200's probes)
--
-- No (id) WHERE NOT is_resolved: the planner then counts event_summary's
-- unresolved events per severity on it, reading every open row from the
-- heap, instead of index-only on V0200's (severity, id) one.
-- As in V0200, id is ascending (backward scans are as cheap) and the
-- unresolved one is partial, so it stays small. Built CONCURRENTLY so that
-- adding them to a live database never blocks writers.
SET ROLE notifydb_owner;

CREATE INDEX CONCURRENTLY IF NOT EXISTS admin_system_events_tenant_id_idx
ON notifydb.admin_system_events (tenant_id, id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS admin_system_events_open_tenant_id_idx
ON notifydb.admin_system_events (tenant_id, id)
WHERE NOT is_resolved;

COMMENT ON INDEX notifydb.admin_system_events_tenant_id_idx IS
'list_events for one tenant, any severity: one id-ordered range.';
COMMENT ON INDEX notifydb.admin_system_events_open_tenant_id_idx IS
'list_events for one tenant, unresolved only, any severity: one id-ordered range.';
