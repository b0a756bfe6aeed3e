SET LOCAL ROLE notifydb_owner;

-- One purge batch of events, as the owner (see _purge_notifications_batch).
CREATE OR REPLACE FUNCTION notifydb._purge_events_batch(p_now timestamptz, p_batch_size integer)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cutoff record;
    v_ctids tid[];
    v_deleted bigint;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.* INTO STRICT v_cutoff FROM notifydb._retention_cutoffs(p_now) AS c;
    -- Lock first, delete in a second statement (see _purge_notifications_batch).
    v_ctids := ARRAY(
        SELECT d.row_ctid
        FROM notifydb._events_due(
            v_cutoff.event_activity_before, '-infinity', -9223372036854775808, p_batch_size, TRUE
        ) AS d
    );
    DELETE FROM notifydb.admin_system_events AS e WHERE e.ctid = ANY(v_ctids);
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$$;

COMMENT ON FUNCTION notifydb._purge_events_batch(timestamptz, integer) IS
'Deletes up to p_batch_size events whose last activity is older than event_max_age as of p_now (see _events_due), skipping rows other transactions have locked; returns how many. Called by purge_events once per batch.';

REVOKE ALL ON FUNCTION notifydb._purge_events_batch(timestamptz, integer) FROM public;
GRANT EXECUTE ON FUNCTION notifydb._purge_events_batch(timestamptz, integer) TO notifydb_retention;
