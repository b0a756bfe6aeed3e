SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.mark_all_read(
    p_tenant_id uuid, p_user_id uuid, p_up_to timestamptz DEFAULT pg_catalog.now()
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Generic plans: every argument has the same best plan (index lookups by key),
-- and plpgsql would otherwise plan each call afresh (0.1-0.3 ms a call).
SET plan_cache_mode = force_generic_plan
-- A statement over many rows puts them in the counter trigger's transition
-- tables: keep those in memory, not temp files.
SET work_mem = '64MB'
AS $$
DECLARE
    v_counters notifydb.inbox_counters;
    v_changed bigint;
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    PERFORM notifydb._check_up_to(p_up_to);
    PERFORM notifydb._lock_inbox_horizons(p_tenant_id, p_user_id);
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id
        AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id);
    -- An earlier horizon reads the older rows with its own read_at. When it
    -- reads fewer rows than are unread above it, write its rows out and set
    -- a new one; otherwise mark the rows above it read one by one.
    IF v_counters.read_horizon IS NOT NULL THEN
        IF notifydb._count_behind_horizon(
            p_tenant_id, p_user_id, v_counters.read_horizon, FALSE, NULL, v_counters.unread
        ) < v_counters.unread THEN
            PERFORM notifydb._lower_read_horizon(p_tenant_id, p_user_id, '-infinity', '{}');
            v_counters.read_horizon := NULL;
        END IF;
    END IF;
    IF v_counters.read_horizon IS NULL THEN
        v_changed := notifydb._set_read_horizon(p_tenant_id, p_user_id, p_up_to);
    ELSIF p_user_id IS NULL THEN
        -- Two forms, so that both walk notifications_unread_idx.
        UPDATE notifydb.notifications AS n
        SET is_read = TRUE,
            read_at = pg_catalog.now(),
            seen_at = coalesce(n.seen_at, pg_catalog.now())
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id IS NULL
            AND n.created_at > v_counters.read_horizon
            AND n.created_at <= p_up_to
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
        GET DIAGNOSTICS v_changed = ROW_COUNT;
    ELSE
        UPDATE notifydb.notifications AS n
        SET is_read = TRUE,
            read_at = pg_catalog.now(),
            seen_at = coalesce(n.seen_at, pg_catalog.now())
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id = p_user_id
            AND n.created_at > v_counters.read_horizon
            AND n.created_at <= p_up_to
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
        GET DIAGNOSTICS v_changed = ROW_COUNT;
    END IF;
    PERFORM notifydb._announce('read_all', p_tenant_id, p_user_id, NULL, v_changed);
    RETURN v_changed;
END
$$;

COMMENT ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) IS
'Marks every unread notification of the inbox created up to p_up_to (default now) read and seen, through the inbox''s read horizon when it can (one counter update, whatever the number of rows). Returns how many changed.';

REVOKE ALL ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.mark_all_read(uuid, uuid, timestamptz) TO notifydb_app;
