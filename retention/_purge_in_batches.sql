SET LOCAL ROLE notifydb_owner;

-- The loop both purge procedures share, in pg_partman's run_maintenance_proc
-- style: skip on a hot standby, take a session advisory lock without waiting
-- (a second run skips), and COMMIT after every batch so locks are short,
-- progress survives an interruption and autovacuum can follow along.
-- Runs as the caller: a procedure that commits can be neither SECURITY
-- DEFINER nor carry SET search_path, so every name is qualified and the
-- table work happens in the definer batch functions.
CREATE OR REPLACE PROCEDURE notifydb._purge_in_batches(
    p_table text,
    p_batch_size integer,
    p_max_batches integer,
    INOUT p_deleted bigint,
    p_now timestamptz
)
LANGUAGE plpgsql
AS $$
DECLARE
    v_procedure text := 'purge_' || p_table;
    v_batches integer := 0;
    v_rows bigint;
    -- The events purge's keyset cursor (see _events_due); NULL: the start.
    v_after_created_at timestamptz;
    v_after_id bigint;
BEGIN
    p_deleted := 0;
    -- Granted to notifydb_retention: only the two purges may come through.
    IF p_table IS NULL OR p_table NOT IN ('notifications', 'events') THEN
        RAISE EXCEPTION 'p_table must be notifications or events, got %', p_table
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_max_batches < 1 THEN
        RAISE EXCEPTION 'p_max_batches must be at least 1 (or NULL for no limit), got %', p_max_batches
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.pg_is_in_recovery() THEN
        RAISE NOTICE '%: skipped, this server is a hot standby', v_procedure;
        RETURN;
    END IF;
    -- Held by this very session before the run starts: left over from a run
    -- whose COMMIT failed (see _retention_lock_held), not another run.
    IF notifydb._retention_lock_held() THEN
        RAISE NOTICE '%: releasing the retention lock a failed run left in this session', v_procedure;
        WHILE notifydb._retention_lock_held() LOOP
            PERFORM pg_catalog.pg_advisory_unlock(notifydb._retention_lock_key());
        END LOOP;
    END IF;
    IF NOT pg_catalog.pg_try_advisory_lock(notifydb._retention_lock_key()) THEN
        RAISE NOTICE '%: skipped, another retention run is in progress', v_procedure;
        RETURN;
    END IF;
    LOOP
        EXIT WHEN v_batches = p_max_batches;
        -- The handler releases the session lock on any error; it cannot
        -- enclose the COMMIT (no transaction control inside a subtransaction).
        BEGIN
            IF p_table = 'notifications' THEN
                v_rows := notifydb._purge_notifications_batch(p_now, p_batch_size);
            ELSE
                SELECT b.deleted, b.last_created_at, b.last_id
                INTO v_rows, v_after_created_at, v_after_id
                FROM notifydb._purge_events_batch(p_now, p_batch_size, v_after_created_at, v_after_id) AS b;
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            PERFORM pg_catalog.pg_advisory_unlock(notifydb._retention_lock_key());
            RAISE;
        END;
        COMMIT;
        p_deleted := p_deleted + v_rows;
        v_batches := v_batches + 1;
        -- A notifications batch may delete fewer rows than it found (a row
        -- due for two reasons counts once), so only an empty one means done;
        -- an events batch that is not full has walked to the end of its range.
        EXIT WHEN v_rows = 0 OR (p_table = 'events' AND v_rows < p_batch_size);
    END LOOP;
    PERFORM pg_catalog.pg_advisory_unlock(notifydb._retention_lock_key());
END
$$;

COMMENT ON PROCEDURE notifydb._purge_in_batches (text, integer, integer, bigint, timestamptz) IS
'Shared body of purge_notifications and purge_events (p_table notifications or events, else 22023): batches until nothing is due or p_max_batches, committing after each. First releases a retention lock this session still holds from a failed run. Granted to notifydb_retention because the procedures run as their caller; call those instead.';

REVOKE ALL ON PROCEDURE notifydb._purge_in_batches(text, integer, integer, bigint, timestamptz) FROM public;
GRANT EXECUTE ON PROCEDURE notifydb._purge_in_batches(text, integer, integer, bigint, timestamptz)
TO notifydb_retention;
