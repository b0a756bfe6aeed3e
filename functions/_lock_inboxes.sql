SET LOCAL ROLE notifydb_owner;

-- The counters of several inboxes (p_tenant_ids[i], p_inbox_keys[i]; repeats
-- allowed), locked in (tenant_id, inbox_key) order: see _lock_inbox.
CREATE OR REPLACE FUNCTION notifydb._lock_inboxes(p_tenant_ids uuid[], p_inbox_keys uuid[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The sort sits below the row locks, so rows are locked in its order.
    PERFORM
    FROM notifydb.inbox_counters AS c
    WHERE (c.tenant_id, c.inbox_key) IN (
        SELECT k.tenant_id, k.inbox_key
        FROM ROWS FROM (pg_catalog.unnest(p_tenant_ids), pg_catalog.unnest(p_inbox_keys)) AS k (tenant_id, inbox_key)
    )
    ORDER BY c.tenant_id, c.inbox_key
    FOR NO KEY UPDATE;
END
$$;

COMMENT ON FUNCTION notifydb._lock_inboxes(uuid[], uuid[]) IS
'Private: locks the counter rows of the given inboxes in (tenant_id, inbox_key) order.';

REVOKE ALL ON FUNCTION notifydb._lock_inboxes(uuid[], uuid[]) FROM public;
