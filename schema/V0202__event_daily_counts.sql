-- Daily counts of system events for OLAP to ingest (seed section 4: OLAP
-- consumes aggregated views, it is not the primary store).
--
-- A view runs with its owner's (notifydb_owner's) rights on the table, which
-- is what lets notifydb_admin read the counts without any privilege on
-- notifydb.admin_system_events. It exposes aggregates only: no tenant,
-- user, description or details. security_barrier keeps a caller's
-- functions from being evaluated below the aggregate, on single rows.
SET LOCAL ROLE notifydb_owner;

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
