SET LOCAL ROLE notifydb_owner;

-- THE definition of which events retention removes, shared by the purge
-- (p_lock), the dry-run count and the export (no locks). Keyset order (last
-- activity, id) follows admin_system_events_last_activity_idx, so every page
-- and batch is an index range scan.
--
-- With p_lock, FOR UPDATE rechecks the condition on the newest version of an
-- event bumped or resolved since the scan began: an event with recent
-- activity is never deleted, so the purge never deletes what an export
-- (same cutoff) did not see.
CREATE OR REPLACE FUNCTION notifydb._events_due(
    p_activity_before timestamptz,
    p_after_activity timestamptz,
    p_after_id bigint,
    p_limit bigint,
    p_lock boolean
)
RETURNS TABLE (row_ctid tid, last_activity timestamptz, event notifydb.admin_system_events)
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format(
        $query$
        SELECT e.ctid, greatest(e.created_at, e.last_seen_at, e.resolved_at), e
        FROM notifydb.admin_system_events AS e
        WHERE
            greatest(e.created_at, e.last_seen_at, e.resolved_at) < $1
            AND (greatest(e.created_at, e.last_seen_at, e.resolved_at), e.id) > ($2, $3)
        ORDER BY greatest(e.created_at, e.last_seen_at, e.resolved_at), e.id
        LIMIT $4 %s
        $query$,
        CASE WHEN p_lock THEN 'FOR UPDATE SKIP LOCKED' ELSE '' END
    ) USING p_activity_before, p_after_activity, p_after_id, p_limit;
END
$$;

COMMENT ON FUNCTION notifydb._events_due(timestamptz, timestamptz, bigint, bigint, boolean) IS
'Up to p_limit events (NULL: all) whose last activity (latest of created_at, last_seen_at, resolved_at) is before p_activity_before, after the keyset cursor (p_after_activity, p_after_id), in that order; with p_lock, locked FOR UPDATE SKIP LOCKED. Private.';

REVOKE ALL ON FUNCTION notifydb._events_due(timestamptz, timestamptz, bigint, bigint, boolean) FROM public;
