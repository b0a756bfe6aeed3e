-- Relays take due jobs with a lease: FOR UPDATE SKIP LOCKED keeps two relays
-- from taking the same job, and the lease (available_at moved to its end)
-- keeps it from being handed out again until it runs out. Each claim gives the
-- job a new job_id, the token complete and retry_deliveries check, so a relay
-- whose lease ran out cannot settle a job another relay claimed since.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.claim_deliveries(
    p_limit integer DEFAULT 100,
    p_lease interval DEFAULT '5 minutes'
)
RETURNS TABLE (
    job_id bigint,
    job_type text,
    notification_id uuid,
    tenant_id uuid,
    user_id uuid,
    channel text,
    attempts integer
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_max_attempts integer;
    v_claimable bigint[];
    v_exhausted bigint[];
    v_failed_tenants uuid[];
    v_failed_notifications uuid[];
BEGIN
    IF p_limit IS NULL THEN
        RAISE EXCEPTION 'p_limit must not be NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The upper bound catches unit mistakes and keeps now() + p_lease in range.
    IF p_lease IS NULL OR p_lease <= interval '0' OR p_lease > interval '1 day' THEN
        RAISE EXCEPTION 'p_lease must be positive and at most 1 day'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- Citus can neither lock rows of every shard with SKIP LOCKED nor renew
    -- a job's id in place: citus/400_claim_deliveries.sql claims there.
    IF notifydb._on_citus() THEN
        RETURN QUERY SELECT * FROM notifydb._claim_deliveries_citus(p_limit, p_lease);
        RETURN;
    END IF;

    SELECT p.max_attempts INTO v_max_attempts FROM notifydb.delivery_policy AS p;

    -- Out of attempts and due again: its last lease ran out without an answer
    -- (the relay died), or the policy was lowered. Give it up as failed, and
    -- look further: a batch of only such jobs must not read as "nothing due".
    LOOP
        SELECT
            pg_catalog.array_agg(due.job_id) FILTER (WHERE due.attempts < v_max_attempts),
            pg_catalog.array_agg(due.job_id) FILTER (WHERE due.attempts >= v_max_attempts)
        INTO v_claimable, v_exhausted
        FROM (
            SELECT o.job_id, o.attempts
            FROM notifydb.delivery_outbox AS o
            WHERE o.available_at <= pg_catalog.now()
            ORDER BY o.available_at
            LIMIT pg_catalog.int4larger(1, pg_catalog.int4smaller(p_limit, 1000))
            FOR UPDATE SKIP LOCKED
        ) AS due;
        EXIT WHEN v_exhausted IS NULL;

        WITH given_up AS (
            DELETE FROM notifydb.delivery_outbox AS o
            WHERE o.job_id = ANY (v_exhausted)
            RETURNING o.tenant_id, o.notification_id
        )

        SELECT pg_catalog.array_agg(g.tenant_id), pg_catalog.array_agg(g.notification_id)
        INTO v_failed_tenants, v_failed_notifications
        FROM given_up AS g;
        PERFORM notifydb._record_delivery_outcome(v_failed_tenants, v_failed_notifications, 'failed');
        EXIT WHEN v_claimable IS NOT NULL;
    END LOOP;

    RETURN QUERY
    UPDATE notifydb.delivery_outbox AS o
    SET job_id = DEFAULT,
        attempts = o.attempts + 1,
        leased_until = pg_catalog.now() + p_lease,
        available_at = pg_catalog.now() + p_lease
    WHERE o.job_id = ANY (v_claimable)
    RETURNING o.job_id, o.job_type, o.notification_id, o.tenant_id, o.user_id, o.channel, o.attempts;
END
$$;

COMMENT ON FUNCTION notifydb.claim_deliveries(integer, interval) IS
'Hands out up to p_limit (clamped to 1..1000) due outbox jobs, longest due first, leased for p_lease (positive, at most 1 day); each claim counts as an attempt and gives the job a new job_id (the id names this claim). Jobs out of attempts (delivery_policy.max_attempts) are not handed out: their delivery is recorded as failed, and the claim looks further. For notifydb_delivery.';

REVOKE ALL ON FUNCTION notifydb.claim_deliveries(integer, interval) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.claim_deliveries(integer, interval) TO notifydb_delivery;
