SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.mark_all_read(
    p_tenant_id uuid, p_user_id uuid, p_up_to timestamptz DEFAULT pg_catalog.now()
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- A heavy inbox's statement puts tens of thousands of old and new rows in the
-- counter trigger's transition tables: keep them in memory, not temp files.
SET work_mem = '64MB'
AS $$
DECLARE
    v_changed bigint;
BEGIN
    PERFORM notifydb._check_tenant_id(p_tenant_id);
    PERFORM notifydb._check_up_to(p_up_to);
    -- One statement over the inbox's range of notifications_unread_idx; the
    -- statement trigger updates the inbox's counter once. Two forms, so that
    -- both use the index.
    IF p_user_id IS NULL THEN
        UPDATE notifydb.notifications AS n
        SET is_read = TRUE,
            read_at = pg_catalog.now(),
            seen_at = COALESCE(n.seen_at, pg_catalog.now())
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id IS NULL
            AND n.created_at <= p_up_to
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
    ELSE
        UPDATE notifydb.notifications AS n
        SET is_read = TRUE,
            read_at = pg_catalog.now(),
            seen_at = COALESCE(n.seen_at, pg_catalog.now())
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id = p_user_id
            AND n.created_at <= p_up_to
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
    END IF;
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    PERFORM notifydb._announce('read_all', p_tenant_id, p_user_id, NULL, v_changed);
    RETURN v_changed;
END
$$;

COMMENT ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) IS
'Marks every unread notification of the inbox created up to p_up_to (default now) read and seen. Returns how many changed.';

REVOKE ALL ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) TO notifydb_app;
