-- The outbox writer: one SEND_NOTIFICATION job per e-mail or push
-- notification, in the statement (hence the transaction) that inserted it.
-- A statement trigger with a transition table costs one INSERT ... SELECT per
-- statement, so a fan-out of 10,000 rows does not run 10,000 trigger calls;
-- a deduplicated insert (ON CONFLICT DO NOTHING) adds no row and so no job.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._enqueue_deliveries()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO notifydb.delivery_outbox (notification_id, tenant_id, user_id, channel)
    SELECT n.id, n.tenant_id, n.user_id, n.channel
    FROM inserted_notifications AS n
    WHERE n.channel IN ('email', 'push');
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._enqueue_deliveries() IS
'Trigger function (AFTER INSERT, per statement) on notifications: writes a SEND_NOTIFICATION outbox job for each inserted email or push row. Private.';

REVOKE ALL ON FUNCTION notifydb._enqueue_deliveries() FROM public;

CREATE OR REPLACE TRIGGER notifications_enqueue_deliveries
AFTER INSERT ON notifydb.notifications
REFERENCING NEW TABLE AS inserted_notifications
FOR EACH STATEMENT
EXECUTE FUNCTION notifydb._enqueue_deliveries();

COMMENT ON TRIGGER notifications_enqueue_deliveries ON notifydb.notifications IS
'Transactional outbox: every email/push notification gets its delivery job in the same transaction.';
