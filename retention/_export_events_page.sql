SET LOCAL ROLE notifydb_owner;

-- One page of the events a purge as of p_now would delete, as JSON, for
-- `retention --export-events` (central logging keeps them after the purge).
--
-- A deliberate grant: notifydb_retention reads no table, yet this returns
-- whole events to it, because the export must carry every column. It only
-- ever returns events the policy already makes due for purging (which that
-- role may delete anyway); p_activity_before, the run's fixed cutoff, can
-- only narrow that set.
CREATE OR REPLACE FUNCTION notifydb._export_events_page(
    p_now timestamptz,
    p_after_created_at timestamptz DEFAULT NULL,
    p_after_id bigint DEFAULT NULL,
    p_limit integer DEFAULT 1000,
    p_activity_before timestamptz DEFAULT NULL
)
RETURNS TABLE (created_at timestamptz, id bigint, event jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.created_at, d.id, pg_catalog.to_jsonb(d.event)
    FROM
        notifydb._retention_cutoffs(p_now) AS c,
        notifydb._events_due(
            least(c.event_activity_before, p_activity_before),
            coalesce(p_after_created_at, '-infinity'),
            coalesce(p_after_id, -9223372036854775808),
            greatest(1, least(p_limit, 10000)),
            FALSE
        ) AS d
    ORDER BY d.created_at, d.id
$$;

COMMENT ON FUNCTION notifydb._export_events_page(timestamptz, timestamptz, bigint, integer, timestamptz) IS
'Up to p_limit (1..10,000) events due for purging as of p_now (and before p_activity_before, if given), after the keyset cursor (p_after_created_at, p_after_id) in (created_at, id) order, as JSON objects with every column. Granted to notifydb_retention on purpose, for `retention --export-events`: it returns only events that are already due for purging.';

REVOKE ALL ON FUNCTION notifydb._export_events_page(timestamptz, timestamptz, bigint, integer, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb._export_events_page(timestamptz, timestamptz, bigint, integer, timestamptz)
TO notifydb_retention;
