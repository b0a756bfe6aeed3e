SET LOCAL ROLE notifydb_owner;

-- Whether this session holds the retention lock (see _retention_lock_key).
-- A COMMIT that fails inside a purge leaves it held: no exception handler can
-- enclose a COMMIT, so the session keeps the lock, and on a pooled session
-- every other run would skip until that session ends. The procedures and the
-- runner check this before they start and release what is left over.
-- pg_locks shows a bigint advisory key as its high and low 32 bits.
CREATE OR REPLACE FUNCTION notifydb._retention_lock_held()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT FROM pg_catalog.pg_locks AS l
        WHERE
            l.locktype = 'advisory'
            AND l.pid = pg_catalog.pg_backend_pid()
            AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database())
            AND l.classid = ((notifydb._retention_lock_key() >> 32) & 4294967295)::oid
            AND l.objid = (notifydb._retention_lock_key() & 4294967295)::oid
            AND l.objsubid = 1
    )
$$;

COMMENT ON FUNCTION notifydb._retention_lock_held() IS
'Whether this session holds the retention advisory lock (e.g. left over from a purge whose COMMIT failed).';

REVOKE ALL ON FUNCTION notifydb._retention_lock_held() FROM public;
GRANT EXECUTE ON FUNCTION notifydb._retention_lock_held() TO notifydb_retention;
