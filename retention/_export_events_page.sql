SET LOCAL ROLE notifydb_owner;

-- One page of the events a purge as of p_now would delete, as JSON, for
-- `retention --export-events` (central logging keeps them after the purge).
CREATE OR REPLACE FUNCTION notifydb._export_events_page(
    p_now timestamptz,
    p_after_activity timestamptz DEFAULT NULL,
    p_after_id bigint DEFAULT NULL,
    p_limit integer DEFAULT 1000
)
RETURNS TABLE (last_activity timestamptz, id bigint, event jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.last_activity, (d.event).id, pg_catalog.to_jsonb(d.event)
    FROM
        notifydb._retention_cutoffs(p_now) AS c,
        notifydb._events_due(
            c.event_activity_before,
            coalesce(p_after_activity, '-infinity'),
            coalesce(p_after_id, -9223372036854775808),
            greatest(1, least(p_limit, 10000)),
            FALSE
        ) AS d
    ORDER BY d.last_activity, (d.event).id
$$;

COMMENT ON FUNCTION notifydb._export_events_page(timestamptz, timestamptz, bigint, integer) IS
'Up to p_limit (1..10,000) events due for purging as of p_now, after the keyset cursor (p_after_activity, p_after_id), as JSON objects with every column.';

REVOKE ALL ON FUNCTION notifydb._export_events_page(timestamptz, timestamptz, bigint, integer) FROM public;
GRANT EXECUTE ON FUNCTION notifydb._export_events_page(timestamptz, timestamptz, bigint, integer)
TO notifydb_retention;
