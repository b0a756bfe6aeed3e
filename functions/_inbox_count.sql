SET LOCAL ROLE notifydb_owner;

-- unread_count and unseen_count: the exact counter, less the rows it counts
-- that have expired and are still there (retention deletes them): a short
-- range of notifications_unread_expiry_idx. 0 for an inbox without a counter.
CREATE OR REPLACE FUNCTION notifydb._inbox_count(p_tenant_id uuid, p_user_id uuid, p_counter text)
RETURNS bigint
LANGUAGE plpgsql
STABLE
-- Generic plans: every argument has the same best plan (index ranges of one
-- inbox), and plpgsql would otherwise plan each call afresh.
SET plan_cache_mode = force_generic_plan
-- plpgsql, not sql: a sql function with a sub-SELECT is never inlined, and
-- one that is not inlined is planned afresh at every call.
AS $$
BEGIN
    RETURN coalesce((
        SELECT CASE WHEN p_counter = 'unread' THEN c.unread ELSE c.unseen END - (
            SELECT pg_catalog.count(*)
            FROM notifydb.notifications AS n
            -- The tenant by value, not c.tenant_id: so Citus sees that the
            -- count reads the shard of the call's tenant alone.
            WHERE n.tenant_id = p_tenant_id
                AND n.inbox_key = c.inbox_key
                AND n.expires_at <= pg_catalog.now()
                AND notifydb._is_counted(ROW(n.*)::notifydb.notifications, ROW(c.*)::notifydb.inbox_counters, p_counter)
        )
        FROM notifydb.inbox_counters AS c
        WHERE c.tenant_id = p_tenant_id AND c.inbox_key = notifydb._inbox_key(p_user_id)
    ), 0);
END
$$;

COMMENT ON FUNCTION notifydb._inbox_count(uuid, uuid, text) IS
'Private: how many visible notifications of the inbox count in p_counter (unread or unseen), expired ones left out.';

REVOKE ALL ON FUNCTION notifydb._inbox_count(uuid, uuid, text) FROM public;
