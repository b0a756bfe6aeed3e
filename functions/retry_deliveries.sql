-- A relay could not deliver: the job goes back for a later claim with its
-- error, unless it has used up its attempts, when it is given up as failed
-- right away instead of waiting to be found by a claim. An id names one
-- claim (claim_deliveries renews it), so a relay whose lease ran out and whose
-- job another relay claimed since can neither fail it nor cut that lease short.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.retry_deliveries(
    p_job_ids bigint[],
    p_error text,
    p_delay interval DEFAULT '1 minute'
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_max_attempts integer;
    v_failed_tenants uuid[];
    v_failed_notifications uuid[];
    v_retried bigint;
BEGIN
    IF p_job_ids IS NULL THEN
        RAISE EXCEPTION 'p_job_ids must not be NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_error IS NULL OR pg_catalog.char_length(p_error) NOT BETWEEN 1 AND 2000 THEN
        RAISE EXCEPTION 'p_error must be 1..2000 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The upper bound catches unit mistakes and keeps now() + p_delay in range.
    IF p_delay IS NULL OR p_delay < interval '0' OR p_delay > interval '30 days' THEN
        RAISE EXCEPTION 'p_delay must be 0..30 days' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT p.max_attempts INTO v_max_attempts FROM notifydb.delivery_policy AS p;

    WITH given_up AS (
        DELETE FROM notifydb.delivery_outbox AS o
        WHERE o.job_id = ANY (p_job_ids)
            AND o.leased_until IS NOT NULL
            AND o.attempts >= v_max_attempts
        RETURNING o.tenant_id, o.notification_id
    )

    SELECT pg_catalog.array_agg(g.tenant_id), pg_catalog.array_agg(g.notification_id)
    INTO v_failed_tenants, v_failed_notifications
    FROM given_up AS g;
    PERFORM notifydb._record_delivery_outcome(v_failed_tenants, v_failed_notifications, 'failed');

    UPDATE notifydb.delivery_outbox AS o
    SET leased_until = NULL,
        available_at = pg_catalog.now() + p_delay,
        last_error = p_error
    WHERE o.job_id = ANY (p_job_ids) AND o.leased_until IS NOT NULL;
    GET DIAGNOSTICS v_retried = ROW_COUNT;

    RETURN v_retried + COALESCE(pg_catalog.cardinality(v_failed_notifications), 0);
END
$$;

COMMENT ON FUNCTION notifydb.retry_deliveries(bigint[], text, interval) IS
'Puts claimed outbox jobs back, claimable again after p_delay (0..30 days), keeping p_error (1..2,000 characters); a job out of attempts is given up instead and its notification marked failed. Returns how many jobs it took back either way; ids not under their latest claim count nothing. For notifydb_delivery.';

REVOKE ALL ON FUNCTION notifydb.retry_deliveries(bigint[], text, interval) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.retry_deliveries(bigint[], text, interval) TO notifydb_delivery;
