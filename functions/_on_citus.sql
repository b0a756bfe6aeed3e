SET LOCAL ROLE notifydb_owner;

-- Whether this database is a Citus cluster's (docs/citus.md): the few
-- cross-tenant functions whose single-node form Citus cannot run (row locks
-- taken with SKIP LOCKED across shards, row ids of a whole table) hand over
-- to their Citus forms in citus/ when it is.
--
-- PL/pgSQL: it keeps the plan of its lookup, where a SQL function with a
-- sub-SELECT is planned at every call (on one node, every write's triggers
-- ask). No SET: its callers pin search_path.
CREATE OR REPLACE FUNCTION notifydb._on_citus()
RETURNS boolean
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    -- Without the citus library loaded (its settings undefined) there is no
    -- Citus, and no catalog lookup: on one node every write asks.
    IF pg_catalog.current_setting('citus.version', TRUE) IS NULL THEN
        RETURN FALSE;
    END IF;
    RETURN EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'citus');
END
$$;

COMMENT ON FUNCTION notifydb._on_citus() IS
'Private: whether the citus extension is installed in this database (the Citus layout of citus/ applies).';

REVOKE ALL ON FUNCTION notifydb._on_citus() FROM public;
