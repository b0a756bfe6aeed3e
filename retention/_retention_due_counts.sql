SET LOCAL ROLE notifydb_owner;

-- What a purge as of p_now would remove, counted with the very functions
-- the purge uses (`retention --dry-run`).
CREATE OR REPLACE FUNCTION notifydb._retention_due_counts(p_now timestamptz)
RETURNS TABLE (notifications bigint, events bigint)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT
        (
            SELECT pg_catalog.count(DISTINCT (d.tenant_id, d.id))
            FROM notifydb._notifications_due(c.expired_before, c.created_before, c.deleted_before, NULL, FALSE) AS d
        ),
        (
            SELECT pg_catalog.count(*)
            FROM notifydb._events_due(c.event_activity_before, '-infinity', -9223372036854775808, NULL, FALSE) AS d
        )
    FROM notifydb._retention_cutoffs(p_now) AS c
$$;

COMMENT ON FUNCTION notifydb._retention_due_counts(timestamptz) IS
'How many notifications and events a purge as of p_now would delete; changes nothing.';

REVOKE ALL ON FUNCTION notifydb._retention_due_counts(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb._retention_due_counts(timestamptz) TO notifydb_retention;
