SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.unseen_count(p_tenant_id uuid, p_user_id uuid)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    PERFORM notifydb._check_tenant_id(p_tenant_id);
    -- The exact counter, less the inbox's expired rows that retention has
    -- not deleted yet (an index-only count of notifications_unread_expiry_idx).
    -- Two forms, so that both look the inbox up by index.
    IF p_user_id IS NULL THEN
        SELECT
            COALESCE((
                SELECT c.unseen FROM notifydb.inbox_counters AS c
                WHERE c.tenant_id = p_tenant_id AND c.user_id IS NULL
            ), 0)
            - (
                SELECT pg_catalog.count(*) FROM notifydb.notifications AS n
                WHERE n.tenant_id = p_tenant_id
                    AND n.user_id IS NULL
                    AND n.expires_at <= pg_catalog.now()
                    AND NOT n.is_read
                    AND n.seen_at IS NULL
                    AND n.deleted_at IS NULL
            )
        INTO v_count;
    ELSE
        SELECT
            COALESCE((
                SELECT c.unseen FROM notifydb.inbox_counters AS c
                WHERE c.tenant_id = p_tenant_id AND c.user_id = p_user_id
            ), 0)
            - (
                SELECT pg_catalog.count(*) FROM notifydb.notifications AS n
                WHERE n.tenant_id = p_tenant_id
                    AND n.user_id = p_user_id
                    AND n.expires_at <= pg_catalog.now()
                    AND NOT n.is_read
                    AND n.seen_at IS NULL
                    AND n.deleted_at IS NULL
            )
        INTO v_count;
    END IF;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION notifydb.unseen_count(uuid, uuid) IS
'The badge: how many notifications of the inbox (p_user_id NULL: the tenant-level inbox) are neither seen nor read, not deleted and not expired. mark_seen and reading clear it.';

REVOKE ALL ON FUNCTION notifydb.unseen_count(uuid, uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.unseen_count(uuid, uuid) TO notifydb_app;
