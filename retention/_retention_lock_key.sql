SET LOCAL ROLE notifydb_owner;

-- One key for every retention entry point, so concurrent runs of different
-- procedures (and the runner) exclude each other too. The value is the first
-- 64 bits of md5('notifydb.retention'); advisory keys share one space per
-- database, and a hash makes a clash with another application's key unlikely.
CREATE OR REPLACE FUNCTION notifydb._retention_lock_key()
RETURNS bigint
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT -2655811122621011585::bigint
$$;

COMMENT ON FUNCTION notifydb._retention_lock_key() IS
'The session advisory lock key that retention runs take with pg_try_advisory_lock, so that only one runs at a time.';

REVOKE ALL ON FUNCTION notifydb._retention_lock_key() FROM public;
GRANT EXECUTE ON FUNCTION notifydb._retention_lock_key() TO notifydb_retention;
