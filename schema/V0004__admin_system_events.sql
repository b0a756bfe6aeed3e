-- Curated, high-signal system events that operators see and resolve: every
-- column of the seed plus fingerprint dedupe, the indexes behind list_events,
-- event_summary and retention, and a daily view for OLAP.
SET LOCAL ROLE notifydb_owner;

CREATE TABLE notifydb.admin_system_events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    event_type text NOT NULL,
    severity text NOT NULL,
    description text NOT NULL,
    details jsonb,
    tenant_id uuid,
    user_id uuid,
    is_resolved boolean NOT NULL DEFAULT FALSE,
    resolved_at timestamptz,
    resolved_by uuid,
    fingerprint text,
    occurrences integer NOT NULL DEFAULT 1,
    last_seen_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT admin_system_events_pkey PRIMARY KEY (id),
    CONSTRAINT admin_system_events_event_type_length
    CHECK (pg_catalog.char_length(event_type) BETWEEN 1 AND 100),
    CONSTRAINT admin_system_events_severity_check
    CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT admin_system_events_description_length
    CHECK (pg_catalog.char_length(description) BETWEEN 1 AND 2000),
    CONSTRAINT admin_system_events_details_is_small_object CHECK (
        details IS NULL
        OR (
            pg_catalog.jsonb_typeof(details) = 'object'
            AND pg_catalog.octet_length(details::text) <= 8192
        )
    ),
    CONSTRAINT admin_system_events_fingerprint_length
    CHECK (pg_catalog.char_length(fingerprint) BETWEEN 1 AND 200),
    CONSTRAINT admin_system_events_occurrences_positive
    CHECK (occurrences >= 1),
    CONSTRAINT admin_system_events_resolved_at_matches_is_resolved
    CHECK (is_resolved = (resolved_at IS NOT NULL))
)
-- A repeat of an open event's fingerprint updates occurrences, last_seen_at,
-- details and description, none of them indexed: room on the page keeps
-- that update HOT.
WITH (fillfactor = 90);

-- While an event is open, its fingerprint (per tenant; NULL tenant is the
-- platform) identifies it: repeats bump it instead of adding rows. This
-- index is what makes that hold under concurrent record_event calls.
CREATE UNIQUE INDEX admin_system_events_open_fingerprint_idx
ON notifydb.admin_system_events (tenant_id, fingerprint) NULLS NOT DISTINCT
WHERE fingerprint IS NOT NULL AND NOT is_resolved;

-- list_events: every page is "newest first" (id DESC: ids are identities, so
-- id order is creation order) under three filters: tenant (or all tenants),
-- minimum severity, unresolved only. A minimum severity is a set of one to
-- four severities; list_events probes one index range per severity and keeps
-- the newest p_limit of what it got, so these have severity before id:
--
--                     all events                    unresolved only
--   one tenant        (tenant_id, severity, id)     same, WHERE NOT is_resolved
--   all tenants       (severity, id)                same, WHERE NOT is_resolved
--
-- The unresolved ones are partial (events get resolved, so they stay small)
-- and also serve event_summary's counts. id is ascending (backward scans are
-- as cheap): new ids land at the end of their run, where page splits pack
-- pages full.
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

-- list_events without a severity filter, its most frequent call: one
-- backward scan returns the page in id order (for all tenants and all
-- events the primary key is that scan). No (id) WHERE NOT is_resolved: the
-- planner would then count event_summary's open events on it, from the heap.
CREATE INDEX admin_system_events_tenant_id_idx
ON notifydb.admin_system_events (tenant_id, id);

CREATE INDEX admin_system_events_open_tenant_id_idx
ON notifydb.admin_system_events (tenant_id, id)
WHERE NOT is_resolved;

-- Retention walks events by created_at, which never changes (an index on
-- the last activity would hold last_seen_at, and no fingerprint repeat could
-- be HOT). An event's last activity is never before its creation, so every
-- due event has an old created_at; the purge rechecks the last activity of
-- each row (retention/_events_due.sql). The id makes the order unique for
-- the keyset cursor that carries a purge and an export from batch to batch.
CREATE INDEX admin_system_events_created_at_idx
ON notifydb.admin_system_events (created_at, id);

-- Daily counts for OLAP to ingest (OLAP consumes aggregates; it is not the
-- primary store). A view runs with its owner's rights on the table, which
-- lets notifydb_admin read the counts without any privilege on the table.
-- It exposes aggregates only: no tenant, user, description or details.
-- security_barrier keeps a caller's functions from being evaluated below
-- the aggregate, on single rows.
CREATE VIEW notifydb.event_daily_counts
WITH (security_barrier = TRUE) AS
SELECT
    (e.created_at AT TIME ZONE 'UTC')::date AS day,
    e.event_type,
    e.severity,
    pg_catalog.count(*) AS events,
    pg_catalog.sum(e.occurrences) AS occurrences,
    pg_catalog.count(*) FILTER (WHERE e.is_resolved) AS resolved
FROM notifydb.admin_system_events AS e
GROUP BY day, e.event_type, e.severity;

REVOKE ALL ON notifydb.event_daily_counts FROM public;
GRANT SELECT ON notifydb.event_daily_counts TO notifydb_admin;

COMMENT ON TABLE notifydb.admin_system_events IS
'Curated system events for admins and operators (not a log sink). Private: use the notifydb functions.';
COMMENT ON COLUMN notifydb.admin_system_events.id IS
'Primary key; increases with time, so id order is creation order.';
COMMENT ON COLUMN notifydb.admin_system_events.created_at IS
'When the event was first recorded.';
COMMENT ON COLUMN notifydb.admin_system_events.event_type IS
'Machine-readable kind, e.g. incident_opened, quota_reached, job_failure (1..100 characters).';
COMMENT ON COLUMN notifydb.admin_system_events.severity IS
'low, medium, high or critical.';
COMMENT ON COLUMN notifydb.admin_system_events.description IS
'Human-readable summary (1..2,000 characters).';
COMMENT ON COLUMN notifydb.admin_system_events.details IS
'Structured context: a JSON object of at most 8 KB; a repeat keeps the latest.';
COMMENT ON COLUMN notifydb.admin_system_events.tenant_id IS
'Affected tenant; NULL for platform-wide events.';
COMMENT ON COLUMN notifydb.admin_system_events.user_id IS
'Related actor, if any.';
COMMENT ON COLUMN notifydb.admin_system_events.is_resolved IS
'Whether an operator resolved it; always equal to resolved_at IS NOT NULL.';
COMMENT ON COLUMN notifydb.admin_system_events.resolved_at IS
'When it was first resolved.';
COMMENT ON COLUMN notifydb.admin_system_events.resolved_by IS
'Who resolved it first.';
COMMENT ON COLUMN notifydb.admin_system_events.fingerprint IS
'Caller-chosen identity of the condition: repeats while open bump this event instead of adding rows.';
COMMENT ON COLUMN notifydb.admin_system_events.occurrences IS
'How many times the condition was recorded while this event was open.';
COMMENT ON COLUMN notifydb.admin_system_events.last_seen_at IS
'When the condition was last recorded.';
COMMENT ON INDEX notifydb.admin_system_events_open_fingerprint_idx IS
'record_event: one open event per (tenant, fingerprint); repeats bump it.';
COMMENT ON INDEX notifydb.admin_system_events_tenant_severity_idx IS
'list_events for one tenant: one id-ordered range per severity.';
COMMENT ON INDEX notifydb.admin_system_events_severity_idx IS
'list_events for all tenants: one id-ordered range per severity.';
COMMENT ON INDEX notifydb.admin_system_events_open_tenant_severity_idx IS
'Unresolved events of one tenant, per severity: list_events and event_summary.';
COMMENT ON INDEX notifydb.admin_system_events_open_severity_idx IS
'Unresolved events of all tenants, per severity: list_events and event_summary.';
COMMENT ON INDEX notifydb.admin_system_events_tenant_id_idx IS
'list_events for one tenant, any severity: one id-ordered range.';
COMMENT ON INDEX notifydb.admin_system_events_open_tenant_id_idx IS
'list_events for one tenant, unresolved only, any severity: one id-ordered range.';
COMMENT ON INDEX notifydb.admin_system_events_created_at_idx IS
'Retention: events oldest first (created_at never changes, so fingerprint repeats stay HOT updates), then id.';
COMMENT ON VIEW notifydb.event_daily_counts IS
'System events per UTC day, event_type and severity, for OLAP ingestion. Readable by notifydb_admin only.';
COMMENT ON COLUMN notifydb.event_daily_counts.day IS
'UTC calendar day the events were first recorded (created_at).';
COMMENT ON COLUMN notifydb.event_daily_counts.event_type IS
'Machine-readable kind of the events.';
COMMENT ON COLUMN notifydb.event_daily_counts.severity IS
'low, medium, high or critical.';
COMMENT ON COLUMN notifydb.event_daily_counts.events IS
'Events (rows) first recorded that day.';
COMMENT ON COLUMN notifydb.event_daily_counts.occurrences IS
'Occurrences of those events, counting fingerprint repeats (whenever they happened).';
COMMENT ON COLUMN notifydb.event_daily_counts.resolved IS
'How many of those events are resolved now.';
