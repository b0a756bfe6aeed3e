SET LOCAL ROLE notifydb_owner;

-- THE definition of which events retention removes, shared by the purge,
-- the dry-run count and the export. Keyset order (last activity, id) follows
-- admin_system_events_last_activity_idx, so every page and batch is an
-- index range scan.
CREATE OR REPLACE FUNCTION notifydb._events_due(
    p_activity_before timestamptz,
    p_after_activity timestamptz,
    p_after_id bigint,
    p_limit bigint
)
RETURNS TABLE (row_ctid tid, last_activity timestamptz, event notifydb.admin_system_events)
LANGUAGE sql
STABLE
AS $$
    SELECT
        e.ctid,
        greatest(e.created_at, e.last_seen_at, e.resolved_at),
        e
    FROM notifydb.admin_system_events AS e
    WHERE
        greatest(e.created_at, e.last_seen_at, e.resolved_at) < p_activity_before
        AND (greatest(e.created_at, e.last_seen_at, e.resolved_at), e.id) > (p_after_activity, p_after_id)
    ORDER BY greatest(e.created_at, e.last_seen_at, e.resolved_at), e.id
    LIMIT p_limit
$$;

COMMENT ON FUNCTION notifydb._events_due(timestamptz, timestamptz, bigint, bigint) IS
'Up to p_limit events (NULL: all) whose last activity (latest of created_at, last_seen_at, resolved_at) is before p_activity_before, after the keyset cursor (p_after_activity, p_after_id), in that order. Private.';

REVOKE ALL ON FUNCTION notifydb._events_due(timestamptz, timestamptz, bigint, bigint) FROM public;
