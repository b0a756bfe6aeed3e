SET LOCAL ROLE notifydb_owner;

-- THE definition of which notifications retention removes, shared by the
-- purge and the dry-run count so they cannot drift apart. One index-driven
-- branch per reason: each starts at its oldest rows and stops at p_limit,
-- where one OR-ed scan would have to visit every due row each batch. A row
-- due for two reasons appears twice; callers deduplicate.
CREATE OR REPLACE FUNCTION notifydb._notifications_due(
    p_expired_before timestamptz,
    p_created_before timestamptz,
    p_deleted_before timestamptz,
    p_limit bigint
)
RETURNS TABLE (row_ctid tid)
LANGUAGE sql
STABLE
AS $$
    (
        SELECT n.ctid
        FROM notifydb.notifications AS n
        WHERE n.expires_at < p_expired_before
        ORDER BY n.expires_at
        LIMIT p_limit
    )
    UNION ALL
    (
        SELECT n.ctid
        FROM notifydb.notifications AS n
        WHERE n.created_at < p_created_before
        ORDER BY n.created_at
        LIMIT p_limit
    )
    UNION ALL
    (
        SELECT n.ctid
        FROM notifydb.notifications AS n
        WHERE n.deleted_at < p_deleted_before
        ORDER BY n.deleted_at
        LIMIT p_limit
    )
    LIMIT p_limit
$$;

COMMENT ON FUNCTION notifydb._notifications_due(timestamptz, timestamptz, timestamptz, bigint) IS
'Row ids (ctid) of up to p_limit notifications that retention removes: expired, created too long ago, or soft-deleted past the grace period (NULL p_limit: all). May repeat a row. Private.';

REVOKE ALL ON FUNCTION notifydb._notifications_due(timestamptz, timestamptz, timestamptz, bigint) FROM public;
