SET LOCAL ROLE notifydb_owner;

-- THE definition of which notifications retention removes, shared by the
-- purge (p_lock: lock them, skipping rows other transactions hold) and the
-- dry-run count (no locks), so the two cannot drift apart. One index-driven
-- branch per reason: each starts at its oldest rows and stops at p_limit,
-- where one OR-ed scan would visit every due row each batch. A row due for
-- two reasons may appear twice; callers deduplicate. Rows come with their
-- key too: on Citus a row id (ctid) is only unique within a shard.
--
-- With p_lock, FOR UPDATE rechecks each branch's condition on the newest
-- version of a row that changed since the scan began, and a row locked by
-- the application is skipped rather than waited for.
CREATE OR REPLACE FUNCTION notifydb._notifications_due(
    p_expired_before timestamptz,
    p_created_before timestamptz,
    p_deleted_before timestamptz,
    p_limit bigint,
    p_lock boolean
)
RETURNS TABLE (row_ctid tid, tenant_id uuid, id uuid)
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format(
        $query$
        WITH expired AS (
            SELECT n.ctid, n.tenant_id, n.id FROM notifydb.notifications AS n
            WHERE n.expires_at < $1 ORDER BY n.expires_at LIMIT $4 %1$s
        ),
        aged AS (
            SELECT n.ctid, n.tenant_id, n.id FROM notifydb.notifications AS n
            WHERE n.created_at < $2 ORDER BY n.created_at LIMIT $4 %1$s
        ),
        deleted AS (
            SELECT n.ctid, n.tenant_id, n.id FROM notifydb.notifications AS n
            WHERE n.deleted_at < $3 ORDER BY n.deleted_at LIMIT $4 %1$s
        )
        SELECT * FROM expired
        UNION ALL SELECT * FROM aged
        UNION ALL SELECT * FROM deleted
        LIMIT $4
        $query$,
        CASE WHEN p_lock THEN 'FOR UPDATE SKIP LOCKED' ELSE '' END
    ) USING p_expired_before, p_created_before, p_deleted_before, p_limit;
END
$$;

COMMENT ON FUNCTION notifydb._notifications_due(timestamptz, timestamptz, timestamptz, bigint, boolean) IS
'Row ids (ctid) and keys of up to p_limit notifications that retention removes (NULL: all): expired, created too long ago, or soft-deleted past the grace period; with p_lock, locked FOR UPDATE SKIP LOCKED. May repeat a row. Private.';

REVOKE ALL ON FUNCTION notifydb._notifications_due(timestamptz, timestamptz, timestamptz, bigint, boolean) FROM public;
