-- A batch of purge_notifications on Citus (retention/_purge_notifications_batch.sql
-- hands over here): one distributed DELETE over every shard, of the rows
-- retention/_notifications_due.sql finds due, by their keys.
--
-- What differs from one node: the due rows are read without row locks, and
-- deleted only if still due, so a batch may delete fewer than it found; and
-- it waits for the locks of rows and inbox counters that others hold, where
-- one node skips them. A batch that deadlocks with a concurrent call (rows
-- locked here, then their counters by the trigger; counters, then rows,
-- there) is cancelled by the deadlock detector and fails the run: run it
-- again (docs/citus.md).
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._purge_notifications_batch_citus(p_now timestamptz, p_batch_size integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cutoff record;
    v_tenant_ids uuid[];
    v_ids uuid[];
    v_deleted bigint;
BEGIN
    SELECT c.* INTO STRICT v_cutoff FROM notifydb._retention_cutoffs(p_now) AS c;
    SELECT pg_catalog.array_agg(DISTINCT d.tenant_id), pg_catalog.array_agg(DISTINCT d.id)
    INTO v_tenant_ids, v_ids
    FROM notifydb._notifications_due(
        v_cutoff.expired_before, v_cutoff.created_before, v_cutoff.deleted_before, p_batch_size, FALSE
    ) AS d;
    -- Ids are unique UUIDs, so tenants and ids given apart find these rows;
    -- each is deleted only if still due (the conditions of _notifications_due).
    DELETE FROM notifydb.notifications AS n
    WHERE n.tenant_id = ANY(v_tenant_ids)
        AND n.id = ANY(v_ids)
        AND (
            n.expires_at < v_cutoff.expired_before
            OR n.created_at < v_cutoff.created_before
            OR n.deleted_at < v_cutoff.deleted_before
        );
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$$;

COMMENT ON FUNCTION notifydb._purge_notifications_batch_citus(timestamptz, integer) IS
'Private: _purge_notifications_batch on Citus, which hands over to it: deletes up to p_batch_size due notifications as of p_now with one distributed statement, waiting for locks others hold; returns how many.';

REVOKE ALL ON FUNCTION notifydb._purge_notifications_batch_citus(timestamptz, integer) FROM public;
