SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.unseen_count(p_tenant_id uuid, p_user_id uuid)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    RETURN notifydb._inbox_count(p_tenant_id, p_user_id, 'unseen');
END
$$;

COMMENT ON FUNCTION notifydb.unseen_count(uuid, uuid) IS
'The badge: how many notifications of the inbox (p_user_id NULL: the tenant-level inbox) are neither seen nor read, not deleted and not expired. mark_seen and reading clear it.';

REVOKE ALL ON FUNCTION notifydb.unseen_count(uuid, uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.unseen_count(uuid, uuid) TO notifydb_app;
