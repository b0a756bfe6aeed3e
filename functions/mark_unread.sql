SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.mark_unread(p_tenant_id uuid, p_user_id uuid, p_ids uuid[])
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Generic plans: every argument has the same best plan (index lookups by key),
-- and plpgsql would otherwise plan each call afresh (0.1-0.3 ms a call).
SET plan_cache_mode = force_generic_plan
-- Lowering a read horizon may write out many rows' read state: keep the
-- counter trigger's transition tables in memory.
SET work_mem = '64MB'
AS $$
DECLARE
    v_inbox_key uuid := notifydb._inbox_key(p_user_id);
    v_counters notifydb.inbox_counters;
    v_oldest_read_by_horizon timestamptz;
    v_ids uuid[];
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    PERFORM notifydb._check_ids(p_ids);
    v_counters := notifydb._lock_inbox(p_tenant_id, v_inbox_key);
    -- Rows read through the inbox's read horizon: the horizon first goes
    -- below the oldest of them, their read state written out.
    IF v_counters.read_horizon IS NOT NULL THEN
        SELECT pg_catalog.min(n.created_at) INTO v_oldest_read_by_horizon
        FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND n.id = ANY(p_ids)
            -- The inbox as a filter: as an index condition it would walk the
            -- whole inbox instead of finding the ids by primary key.
            AND n.user_id IS NOT DISTINCT FROM p_user_id
            AND n.created_at <= v_counters.read_horizon
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
        IF v_oldest_read_by_horizon IS NOT NULL THEN
            PERFORM notifydb._lower_horizon(p_tenant_id, v_inbox_key, 'read', v_oldest_read_by_horizon, '{}');
        END IF;
    END IF;
    -- Seen state is kept: unread and unseen are independent.
    WITH changed AS (
        UPDATE notifydb.notifications AS n
        SET is_read = FALSE,
            read_at = NULL
        WHERE n.tenant_id = p_tenant_id
            AND n.id = ANY(p_ids)
            -- The inbox as a filter: as an index condition it would walk the
            -- whole inbox instead of finding the ids by primary key.
            AND n.user_id IS NOT DISTINCT FROM p_user_id
            AND n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        RETURNING n.id
    )

    SELECT pg_catalog.array_agg(changed.id) INTO v_ids FROM changed;
    PERFORM notifydb._announce('unread', p_tenant_id, p_user_id, v_ids, pg_catalog.cardinality(v_ids));
    RETURN coalesce(pg_catalog.cardinality(v_ids), 0);
END
$$;

COMMENT ON FUNCTION notifydb.mark_unread(uuid, uuid, uuid[]) IS
'Marks the given read notifications of the inbox unread again (clears read_at, keeps seen state); ids of other inboxes are ignored. Returns how many changed.';

REVOKE ALL ON FUNCTION notifydb.mark_unread(uuid, uuid, uuid[]) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.mark_unread(uuid, uuid, uuid[]) TO notifydb_app;
