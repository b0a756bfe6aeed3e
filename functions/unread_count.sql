SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.unread_count(p_tenant_id uuid, p_user_id uuid)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    -- The exact counter, less the rows it counts that have expired since
    -- (from expired_through to now, rows retention has not deleted yet:
    -- a short range of notifications_unread_expiry_idx). One statement; two
    -- forms, so that both find the inbox's rows by index.
    IF p_user_id IS NULL THEN
        RETURN coalesce((
            SELECT c.unread - (
                SELECT pg_catalog.count(*)
                FROM notifydb.notifications AS n
                WHERE n.tenant_id = p_tenant_id
                    AND n.user_id IS NULL
                    AND n.expires_at > coalesce(c.expired_through, '-infinity')
                    AND n.expires_at <= pg_catalog.now()
                    AND n.created_at > coalesce(c.read_horizon, '-infinity')
                    AND NOT n.is_read
                    AND n.deleted_at IS NULL
            )
            FROM notifydb.inbox_counters AS c
            WHERE c.tenant_id = p_tenant_id AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(NULL)
        ), 0);
    END IF;
    RETURN coalesce((
        SELECT c.unread - (
            SELECT pg_catalog.count(*)
            FROM notifydb.notifications AS n
            WHERE n.tenant_id = p_tenant_id
                AND n.user_id = p_user_id
                AND n.expires_at > coalesce(c.expired_through, '-infinity')
                AND n.expires_at <= pg_catalog.now()
                AND n.created_at > coalesce(c.read_horizon, '-infinity')
                AND NOT n.is_read
                AND n.deleted_at IS NULL
        )
        FROM notifydb.inbox_counters AS c
        WHERE c.tenant_id = p_tenant_id AND notifydb._inbox_key(c.user_id) = p_user_id
    ), 0);
END
$$;

COMMENT ON FUNCTION notifydb.unread_count(uuid, uuid) IS
'How many notifications of the inbox (p_user_id NULL: the tenant-level inbox) are unread, not deleted and not expired: what list_notifications(p_unread_only => true) would page through.';

REVOKE ALL ON FUNCTION notifydb.unread_count(uuid, uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.unread_count(uuid, uuid) TO notifydb_app;
