-- Where a delivery's outcome becomes user-facing state: the notification
-- keeps sent or failed and when, after its job left the outbox.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._record_delivery_outcome(p_tenant_ids uuid[], p_notification_ids uuid[], p_status text)
RETURNS void
LANGUAGE sql
AS $$
    UPDATE notifydb.notifications AS n
    SET delivery_status = p_status, delivery_finished_at = pg_catalog.now()
    FROM ROWS FROM (pg_catalog.unnest(p_tenant_ids), pg_catalog.unnest(p_notification_ids)) AS d (tenant_id, id)
    WHERE n.tenant_id = d.tenant_id AND n.id = d.id;
$$;

COMMENT ON FUNCTION notifydb._record_delivery_outcome(uuid[], uuid[], text) IS
'Records a delivery outcome (sent or failed) on the given notifications. Private: called by complete_deliveries, retry_deliveries and claim_deliveries.';

REVOKE ALL ON FUNCTION notifydb._record_delivery_outcome(uuid[], uuid[], text) FROM public;
