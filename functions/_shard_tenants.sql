SET LOCAL ROLE notifydb_owner;

-- Statements of a trigger or helper that reach the counters or the outbox
-- by tenant from a set of rows add (v_shard_tenants IS NULL OR tenant_id =
-- ANY(v_shard_tenants)). On Citus this names the tenants, all on the shard
-- the statement runs on, so Citus runs it there: a statement that might
-- reach other shards is refused on a worker. On one node it is NULL, and the
-- condition folds away: an array there would be searched once per row.
CREATE OR REPLACE FUNCTION notifydb._shard_tenants(p_tenant_ids uuid[])
RETURNS uuid[]
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    IF NOT notifydb._on_citus() THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT DISTINCT t.tenant_id FROM pg_catalog.unnest(p_tenant_ids) AS t (tenant_id));
END
$$;

COMMENT ON FUNCTION notifydb._shard_tenants(uuid[]) IS
'Private: on Citus the distinct tenants of p_tenant_ids, to name them to Citus in a statement; NULL on one node.';

REVOKE ALL ON FUNCTION notifydb._shard_tenants(uuid[]) FROM public;
