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
    RETURN notifydb._inbox_count(p_tenant_id, p_user_id, 'unread');
END
$$;

COMMENT ON FUNCTION notifydb.unread_count(uuid, uuid) IS
'How many notifications of the inbox (p_user_id NULL: the tenant-level inbox) are unread, not deleted and not expired: what list_notifications(p_unread_only => true) would page through.';

REVOKE ALL ON FUNCTION notifydb.unread_count(uuid, uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.unread_count(uuid, uuid) TO notifydb_app;
