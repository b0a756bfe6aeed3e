-- A relay reports jobs done: the outcome goes on the notification and the
-- job leaves the outbox. An id names one claim (claim_deliveries renews it),
-- so only the latest claim of a job settles it: a relay whose lease ran out
-- still completes its job while nobody else claimed it (a late send went out:
-- sent is the truth), but not once another relay holds it, which then sends
-- again (delivery is at-least-once) and reports for itself.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.complete_deliveries(
    p_job_ids bigint[],
    p_status text DEFAULT 'sent'
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant_ids uuid[];
    v_notification_ids uuid[];
BEGIN
    IF p_job_ids IS NULL THEN
        RAISE EXCEPTION 'p_job_ids must not be NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_status IS NULL OR p_status NOT IN ('sent', 'failed') THEN
        RAISE EXCEPTION 'p_status must be sent or failed' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- Only jobs under this claim: a job put back by retry_deliveries is not
    -- held by anyone until its next claim, which gives it a new id.
    WITH completed AS (
        DELETE FROM notifydb.delivery_outbox AS o
        WHERE o.job_id = ANY (p_job_ids) AND o.leased_until IS NOT NULL
        RETURNING o.tenant_id, o.notification_id
    )

    SELECT pg_catalog.array_agg(c.tenant_id), pg_catalog.array_agg(c.notification_id)
    INTO v_tenant_ids, v_notification_ids
    FROM completed AS c;

    PERFORM notifydb._record_delivery_outcome(v_tenant_ids, v_notification_ids, p_status);
    RETURN COALESCE(pg_catalog.cardinality(v_notification_ids), 0);
END
$$;

COMMENT ON FUNCTION notifydb.complete_deliveries(bigint[], text) IS
'Finishes claimed outbox jobs: records p_status (sent or failed) and its time on their notifications and removes the jobs. Returns how many it finished; unknown, unclaimed, retried or already finished ids, and ids of claims superseded by a later claim, count nothing. For notifydb_delivery.';

REVOKE ALL ON FUNCTION notifydb.complete_deliveries(bigint[], text) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.complete_deliveries(bigint[], text) TO notifydb_delivery;
