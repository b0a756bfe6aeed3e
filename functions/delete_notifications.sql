SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.delete_notifications(p_tenant_id uuid, p_user_id uuid, p_ids uuid[])
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Generic plans: every argument has the same best plan (index lookups by key),
-- and plpgsql would otherwise plan each call afresh (0.1-0.3 ms a call).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_inbox_key uuid := notifydb._inbox_key(p_user_id);
    v_ids uuid[];
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    PERFORM notifydb._check_ids(p_ids);
    PERFORM notifydb._lock_inbox(p_tenant_id, v_inbox_key);
    -- Soft delete: retention removes the rows after the grace period.
    WITH changed AS (
        UPDATE notifydb.notifications AS n
        SET deleted_at = pg_catalog.now()
        WHERE n.tenant_id = p_tenant_id
            AND n.id = ANY(p_ids)
            -- The inbox as a filter: as an index condition it would walk the
            -- whole inbox instead of finding the ids by primary key.
            AND n.user_id IS NOT DISTINCT FROM p_user_id
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        RETURNING n.id
    )

    SELECT pg_catalog.array_agg(changed.id) INTO v_ids FROM changed;
    PERFORM notifydb._announce('delete', p_tenant_id, p_user_id, v_ids, pg_catalog.cardinality(v_ids));
    RETURN coalesce(pg_catalog.cardinality(v_ids), 0);
END
$$;

COMMENT ON FUNCTION notifydb.delete_notifications(uuid, uuid, uuid[]) IS
'Hides (soft-deletes) the given notifications of the inbox; ids of other inboxes are ignored. Returns how many changed.';

REVOKE ALL ON FUNCTION notifydb.delete_notifications(uuid, uuid, uuid[]) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.delete_notifications(uuid, uuid, uuid[]) TO notifydb_app;
