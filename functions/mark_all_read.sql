SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.mark_all_read(
    p_tenant_id uuid, p_user_id uuid, p_up_to timestamptz DEFAULT pg_catalog.now()
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_inbox_key uuid := notifydb._inbox_key(p_user_id);
    v_changed bigint;
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    PERFORM notifydb._check_up_to(p_up_to);
    PERFORM notifydb._lock_inbox(p_tenant_id, v_inbox_key);
    v_changed := notifydb._raise_horizon(p_tenant_id, v_inbox_key, 'read', p_up_to);
    PERFORM notifydb._announce('read_all', p_tenant_id, p_user_id, NULL, v_changed);
    RETURN v_changed;
END
$$;

COMMENT ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) IS
'Marks every unread notification of the inbox created up to p_up_to (default now) read and seen, through the inbox''s read horizon when it can (one counter update, whatever the number of rows). Returns how many changed.';

REVOKE ALL ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) TO notifydb_app;
