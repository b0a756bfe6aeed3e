-- claim_deliveries on Citus (it hands over here, functions/claim_deliveries.sql
-- says the contract). Two differences, both from what Citus cannot do:
--
-- * The due jobs are read across shards without row locks (Citus takes no
--   FOR UPDATE SKIP LOCKED over several shards); each is then taken under
--   its row lock if it is still due. Two relays never get the same job, as
--   on one node, but a relay may wait for another's claim to commit instead
--   of skipping its jobs, and then hand out fewer than p_limit.
-- * A claim gives the job a new job_id by deleting it and inserting it
--   again (Citus refuses the UPDATE ... SET job_id = DEFAULT of one node:
--   the identity's next value is volatile); created_at, last_error and the
--   attempts carry over.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._claim_deliveries_citus(p_limit integer, p_lease interval)
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
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_max_attempts integer;
    v_now timestamptz := pg_catalog.now();
    v_tenant_ids uuid[];
    v_job_ids bigint[];
    v_exhausted boolean;
    v_failed_tenants uuid[];
    v_failed_notifications uuid[];
BEGIN
    SELECT p.max_attempts INTO v_max_attempts FROM notifydb.delivery_policy AS p;
    -- As on one node: jobs out of attempts are given up as failed, and the
    -- claim looks further.
    LOOP
        SELECT
            pg_catalog.array_agg(due.tenant_id),
            pg_catalog.array_agg(due.job_id),
            coalesce(pg_catalog.bool_or(due.attempts >= v_max_attempts), FALSE)
        INTO v_tenant_ids, v_job_ids, v_exhausted
        FROM (
            SELECT o.tenant_id, o.job_id, o.attempts
            FROM notifydb.delivery_outbox AS o
            WHERE o.available_at <= v_now
            ORDER BY o.available_at
            LIMIT pg_catalog.int4larger(1, pg_catalog.int4smaller(p_limit, 1000))
        ) AS due;
        EXIT WHEN NOT v_exhausted;

        -- Job ids are unique across the cluster, so tenants and ids given
        -- apart find exactly these jobs (the tenants, their shards).
        WITH given_up AS (
            DELETE FROM notifydb.delivery_outbox AS o
            WHERE o.tenant_id = ANY(v_tenant_ids)
                AND o.job_id = ANY(v_job_ids)
                AND o.available_at <= v_now
                AND o.attempts >= v_max_attempts
            RETURNING o.tenant_id, o.notification_id
        )

        SELECT pg_catalog.array_agg(g.tenant_id), pg_catalog.array_agg(g.notification_id)
        INTO v_failed_tenants, v_failed_notifications
        FROM given_up AS g;
        PERFORM notifydb._record_delivery_outcome(v_failed_tenants, v_failed_notifications, 'failed');
    END LOOP;
    IF v_job_ids IS NULL THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH claimed AS (
        DELETE FROM notifydb.delivery_outbox AS o
        WHERE o.tenant_id = ANY(v_tenant_ids)
            AND o.job_id = ANY(v_job_ids)
            AND o.available_at <= v_now
            AND o.attempts < v_max_attempts
        RETURNING o.*
    )

    INSERT INTO notifydb.delivery_outbox AS o (
        job_type, notification_id, tenant_id, user_id, channel, attempts, available_at, leased_until,
        last_error, created_at
    )
    SELECT
        c.job_type, c.notification_id, c.tenant_id, c.user_id, c.channel, c.attempts + 1, v_now + p_lease,
        v_now + p_lease, c.last_error, c.created_at
    FROM claimed AS c
    RETURNING o.job_id, o.job_type, o.notification_id, o.tenant_id, o.user_id, o.channel, o.attempts;
END
$$;

COMMENT ON FUNCTION notifydb._claim_deliveries_citus(integer, interval) IS
'Private: claim_deliveries on Citus, which hands over to it: the same contract, but a claim waits for a concurrent claim of the same jobs instead of skipping them, and renews job ids by re-inserting the job.';

REVOKE ALL ON FUNCTION notifydb._claim_deliveries_citus(integer, interval) FROM public;
