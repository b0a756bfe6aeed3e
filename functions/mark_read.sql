SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.mark_read(p_tenant_id uuid, p_user_id uuid, p_ids uuid[])
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
    v_counters notifydb.inbox_counters;
    v_ids uuid[];
    -- Not now() inside coalesce(): Citus refuses a non-immutable function there.
    v_now timestamptz := pg_catalog.now();
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    PERFORM notifydb._check_ids(p_ids);
    v_counters := notifydb._lock_inbox(p_tenant_id, v_inbox_key);
    -- Found by primary key; rows of another inbox fail the filter and are
    -- left alone, as if they did not exist. Only visible unread rows change,
    -- so a repeat changes nothing and the first read_at stands. Reading
    -- also marks seen.
    WITH changed AS (
        UPDATE notifydb.notifications AS n
        SET is_read = TRUE,
            read_at = v_now,
            seen_at = coalesce(n.seen_at, v_now)
        WHERE n.tenant_id = p_tenant_id
            AND n.id = ANY(p_ids)
            -- The inbox as a filter: as an index condition it would walk the
            -- whole inbox instead of finding the ids by primary key.
            AND n.user_id IS NOT DISTINCT FROM p_user_id
            AND notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, 'unread')
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        RETURNING n.id
    )

    SELECT pg_catalog.array_agg(changed.id) INTO v_ids FROM changed;
    PERFORM notifydb._announce('read', p_tenant_id, p_user_id, v_ids, pg_catalog.cardinality(v_ids));
    RETURN coalesce(pg_catalog.cardinality(v_ids), 0);
END
$$;

COMMENT ON FUNCTION notifydb.mark_read(uuid, uuid, uuid[]) IS
'Marks the given notifications of the inbox read (and seen); ids of other inboxes are ignored. Returns how many changed; already read ones keep their read_at.';

REVOKE ALL ON FUNCTION notifydb.mark_read(uuid, uuid, uuid[]) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.mark_read(uuid, uuid, uuid[]) TO notifydb_app;
