SET LOCAL ROLE notifydb_owner;

-- THE definition of which events retention removes, shared by the purge
-- (p_lock), the dry-run count and the export (no locks): those whose last
-- activity (latest of created, last seen and resolved) is before
-- p_activity_before.
--
-- Walked in (created_at, id) order on admin_system_events_created_at_idx:
-- created_at never changes, so fingerprint repeats stay HOT updates (see
-- schema/V0004__admin_system_events.sql), and an event's last activity is never before its creation, so
-- the index range created_at < p_activity_before holds every due event.
-- Rows in that range with recent activity are read and passed over; the
-- keyset cursor (p_after_created_at, p_after_id) lets the next batch or page
-- start after them, so a run reads each of them once, not once per batch.
--
-- With p_lock, FOR UPDATE rechecks the condition on the newest version of
-- an event bumped or resolved since the scan began: an event with recent
-- activity is never deleted, so the purge never deletes what an export
-- (same cutoff) did not see.
CREATE OR REPLACE FUNCTION notifydb._events_due(
    p_activity_before timestamptz,
    p_after_created_at timestamptz,
    p_after_id bigint,
    p_limit bigint,
    p_lock boolean
)
RETURNS TABLE (row_ctid tid, created_at timestamptz, id bigint, event notifydb.admin_system_events)
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format(
        $query$
        SELECT e.ctid, e.created_at, e.id, e
        FROM notifydb.admin_system_events AS e
        WHERE
            e.created_at < $1
            AND (e.created_at, e.id) > ($2, $3)
            AND greatest(e.created_at, e.last_seen_at, e.resolved_at) < $1
        ORDER BY e.created_at, e.id
        LIMIT $4 %s
        $query$,
        CASE WHEN p_lock THEN 'FOR UPDATE SKIP LOCKED' ELSE '' END
    ) USING p_activity_before, p_after_created_at, p_after_id, p_limit;
END
$$;

COMMENT ON FUNCTION notifydb._events_due(timestamptz, timestamptz, bigint, bigint, boolean) IS
'Up to p_limit events (NULL: all) whose last activity (latest of created_at, last_seen_at, resolved_at) is before p_activity_before, after the keyset cursor (p_after_created_at, p_after_id) in (created_at, id) order; with p_lock, locked FOR UPDATE SKIP LOCKED. Private.';

REVOKE ALL ON FUNCTION notifydb._events_due(timestamptz, timestamptz, bigint, bigint, boolean) FROM public;
