SET LOCAL ROLE notifydb_owner;

-- The policy turned into timestamps, for one fixed "now": every purge,
-- count and export goes through here, so they all agree on what is due.
-- notifydb_retention may call it (it reveals the policy, nothing else): the
-- runner fixes the event cutoff once per run with it, so that a policy
-- change during a run cannot make the purge delete events the export did
-- not write.
CREATE OR REPLACE FUNCTION notifydb._retention_cutoffs(p_now timestamptz)
RETURNS TABLE (
    expired_before timestamptz,
    created_before timestamptz,
    deleted_before timestamptz,
    event_activity_before timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_now IS NULL OR p_now > pg_catalog.clock_timestamp() THEN
        -- A future "now" would purge rows that are not due yet.
        RAISE EXCEPTION 'p_now must be a time that is not in the future, got %', p_now
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT
        p_now,
        p_now - p.notification_max_age,
        p_now - p.deleted_grace,
        p_now - p.event_max_age
    FROM notifydb.retention_policy AS p;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'notifydb.retention_policy has no row'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                HINT = 'INSERT INTO notifydb.retention_policy DEFAULT VALUES;';
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb._retention_cutoffs(timestamptz) IS
'Retention cutoffs for a given now (not in the future) from notifydb.retention_policy: called by the retention definer functions, and by the runner to fix a run''s event cutoff.';

REVOKE ALL ON FUNCTION notifydb._retention_cutoffs(timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb._retention_cutoffs(timestamptz) TO notifydb_retention;
