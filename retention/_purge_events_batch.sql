SET LOCAL ROLE notifydb_owner;

-- One purge batch of events, as the owner (see _purge_notifications_batch).
-- The caller carries the keyset cursor from batch to batch (see
-- _events_due), so old events with recent activity are read once per run.
-- p_activity_before lets a run fix its cutoff once (the runner exports with
-- it first); it can only narrow what the policy as of p_now allows, so
-- notifydb_retention cannot delete an event the policy keeps.
CREATE OR REPLACE FUNCTION notifydb._purge_events_batch(
    p_now timestamptz,
    p_batch_size integer,
    p_after_created_at timestamptz DEFAULT NULL,
    p_after_id bigint DEFAULT NULL,
    p_activity_before timestamptz DEFAULT NULL,
    OUT deleted bigint,
    OUT last_created_at timestamptz,
    OUT last_id bigint
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cutoff record;
    v_ctids tid[];
BEGIN
    IF p_batch_size IS NULL OR p_batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.* INTO STRICT v_cutoff FROM notifydb._retention_cutoffs(p_now) AS c;
    -- Lock first, delete in a second statement (see _purge_notifications_batch).
    -- The cursor moves to the last row locked: rows before it were either
    -- locked here or passed over (recent activity, or locked by others).
    SELECT
        pg_catalog.array_agg(d.row_ctid),
        pg_catalog.max(d.created_at),
        (pg_catalog.array_agg(d.id ORDER BY d.created_at DESC, d.id DESC))[1]
    INTO v_ctids, last_created_at, last_id
    FROM notifydb._events_due(
        least(v_cutoff.event_activity_before, p_activity_before),
        coalesce(p_after_created_at, '-infinity'),
        coalesce(p_after_id, -9223372036854775808),
        p_batch_size,
        TRUE
    ) AS d;
    DELETE FROM notifydb.admin_system_events AS e WHERE e.ctid = ANY(v_ctids);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    last_created_at := coalesce(last_created_at, p_after_created_at);
    last_id := coalesce(last_id, p_after_id);
END
$$;

COMMENT ON FUNCTION notifydb._purge_events_batch(timestamptz, integer, timestamptz, bigint, timestamptz) IS
'Deletes up to p_batch_size events whose last activity is older than event_max_age as of p_now (and before p_activity_before, if given), after the keyset cursor (p_after_created_at, p_after_id; NULL: from the start), skipping rows other transactions have locked (see _events_due). Returns how many, and the cursor for the next batch (unchanged when none). Called once per batch by purge_events and the runner.';

REVOKE ALL ON FUNCTION notifydb._purge_events_batch(timestamptz, integer, timestamptz, bigint, timestamptz) FROM public;
GRANT EXECUTE ON FUNCTION notifydb._purge_events_batch(timestamptz, integer, timestamptz, bigint, timestamptz)
TO notifydb_retention;
