SET LOCAL ROLE notifydb_owner;

-- The counters of several inboxes (p_tenant_ids[i], p_inbox_keys[i]; repeats
-- allowed), locked in (tenant_id, inbox_key) order: see _lock_inbox.
CREATE OR REPLACE FUNCTION notifydb._lock_inboxes(p_tenant_ids uuid[], p_inbox_keys uuid[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
-- One plan fits every size (the probes are linear); plpgsql would otherwise
-- plan it afresh at every call, a custom plan looking cheaper for few keys.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_shard_tenants uuid[] := notifydb._shard_tenants(p_tenant_ids);
BEGIN
    -- No inbox: nothing to lock (and on Citus, no tenant to find a shard by).
    IF p_tenant_ids IS NULL THEN
        RETURN;
    END IF;
    -- One index probe per inbox, driven in key order (a join of the keys to
    -- the counters, with a sort above the row locks, cost ten times more).
    PERFORM
    FROM (
        SELECT DISTINCT k.tenant_id, k.inbox_key
        FROM ROWS FROM (pg_catalog.unnest(p_tenant_ids), pg_catalog.unnest(p_inbox_keys)) AS k (tenant_id, inbox_key)
        ORDER BY k.tenant_id, k.inbox_key
    ) AS k
    CROSS JOIN LATERAL (
        SELECT
        FROM notifydb.inbox_counters AS c
        WHERE c.tenant_id = k.tenant_id AND c.inbox_key = k.inbox_key
            AND (v_shard_tenants IS NULL OR c.tenant_id = ANY(v_shard_tenants))
        FOR NO KEY UPDATE
    ) AS c;
END
$$;

COMMENT ON FUNCTION notifydb._lock_inboxes(uuid[], uuid[]) IS
'Private: locks the counter rows of the given inboxes in (tenant_id, inbox_key) order.';

REVOKE ALL ON FUNCTION notifydb._lock_inboxes(uuid[], uuid[]) FROM public;
