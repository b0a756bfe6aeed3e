SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.mark_seen(
    p_tenant_id uuid, p_user_id uuid, p_up_to timestamptz DEFAULT pg_catalog.now()
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_changed bigint;
BEGIN
    PERFORM notifydb._check_tenant_id(p_tenant_id);
    PERFORM notifydb._check_up_to(p_up_to);
    -- The bell was opened: everything up to p_up_to is seen, nothing is
    -- read. Read rows already count as seen, so only unread ones change.
    IF p_user_id IS NULL THEN
        UPDATE notifydb.notifications AS n
        SET seen_at = pg_catalog.now()
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id IS NULL
            AND n.created_at <= p_up_to
            AND n.seen_at IS NULL
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
    ELSE
        UPDATE notifydb.notifications AS n
        SET seen_at = pg_catalog.now()
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id = p_user_id
            AND n.created_at <= p_up_to
            AND n.seen_at IS NULL
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
    END IF;
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    PERFORM notifydb._announce('seen', p_tenant_id, p_user_id, NULL, v_changed);
    RETURN v_changed;
END
$$;

COMMENT ON FUNCTION notifydb.mark_seen(uuid, uuid, timestamptz) IS
'Marks every unseen, unread notification of the inbox created up to p_up_to (default now) seen, without reading it: clears the badge (unseen_count). Returns how many changed.';

REVOKE ALL ON FUNCTION notifydb.mark_seen(uuid, uuid, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.mark_seen(uuid, uuid, timestamptz) TO notifydb_app;
