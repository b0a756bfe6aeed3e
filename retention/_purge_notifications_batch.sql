SET LOCAL ROLE notifydb_owner;

-- One purge batch, as the owner: the procedures run as their caller and
-- COMMIT between calls of this, so notifydb_retention needs no table rights.
CREATE OR REPLACE FUNCTION notifydb._purge_notifications_batch(p_now timestamptz, p_batch_size integer)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cutoff record;
    v_ctids tid[];
    v_job_ids bigint[];
    v_deleted bigint;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Citus can lock rows of every shard neither by row id nor with SKIP
    -- LOCKED: citus/500_retention.sql purges there.
    IF notifydb._on_citus() THEN
        RETURN notifydb._purge_notifications_batch_citus(p_now, p_batch_size);
    END IF;
    SELECT c.* INTO STRICT v_cutoff FROM notifydb._retention_cutoffs(p_now) AS c;
    -- Rows first, skipping those others hold: a reader's lock must not
    -- stall the purge.
    v_ctids := ARRAY(
        SELECT d.row_ctid
        FROM notifydb._notifications_due(
            v_cutoff.expired_before, v_cutoff.created_before, v_cutoff.deleted_before, p_batch_size, TRUE
        ) AS d
    );
    -- Then their outbox jobs, only those free right now: deleting a row
    -- deletes its job (triggers/notifications_200_delivery_outbox.sql), and
    -- a relay holding the job wants the row next (complete, retry and claim
    -- record the outcome on it), so waiting for the job could deadlock.
    v_job_ids := ARRAY(
        SELECT o.job_id
        FROM notifydb.delivery_outbox AS o
        INNER JOIN notifydb.notifications AS n ON n.tenant_id = o.tenant_id AND n.id = o.notification_id
        WHERE n.ctid = ANY(v_ctids)
        FOR UPDATE OF o SKIP LOCKED
    );
    -- Then the counters of the inboxes whose counts the delete changes, only
    -- those free right now: waiting for one while holding rows could
    -- deadlock with a function that holds it and wants the rows (the lock
    -- order of functions/_lock_inbox.sql takes counters first). Rows of a
    -- busy inbox, or with a job a relay holds, stay for a later batch.
    DELETE FROM notifydb.notifications AS n
    WHERE n.ctid = ANY(v_ctids)
        AND NOT EXISTS (
            SELECT FROM notifydb.delivery_outbox AS o
            WHERE o.notification_id = n.id AND o.tenant_id = n.tenant_id AND o.job_id <> ALL(v_job_ids)
        )
        AND (
            NOT notifydb._is_counted(ROW(n.*)::notifydb.notifications, NULL, 'unread')
            OR EXISTS (
                SELECT FROM notifydb.inbox_counters AS c
                WHERE c.tenant_id = n.tenant_id AND c.inbox_key = n.inbox_key
                FOR NO KEY UPDATE SKIP LOCKED
            )
        );
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$$;

COMMENT ON FUNCTION notifydb._purge_notifications_batch(timestamptz, integer) IS
'Deletes up to p_batch_size due notifications (see _notifications_due) as of p_now, skipping rows other transactions have locked; returns how many. Called by purge_notifications once per batch.';

REVOKE ALL ON FUNCTION notifydb._purge_notifications_batch(timestamptz, integer) FROM public;
GRANT EXECUTE ON FUNCTION notifydb._purge_notifications_batch(timestamptz, integer) TO notifydb_retention;
