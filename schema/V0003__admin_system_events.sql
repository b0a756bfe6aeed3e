-- Curated, high-signal system events that operators see and resolve:
-- every column of the seed plus fingerprint dedupe.
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
);

-- While an event is open, its fingerprint (per tenant; NULL tenant is the
-- platform) identifies it: repeats bump it instead of adding rows. This
-- index is what makes that hold under concurrent record_event calls.
CREATE UNIQUE INDEX admin_system_events_open_fingerprint_idx
ON notifydb.admin_system_events (tenant_id, fingerprint) NULLS NOT DISTINCT
WHERE fingerprint IS NOT NULL AND NOT is_resolved;

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
