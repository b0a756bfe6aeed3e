-- The outbox writer moves here from the repeatable functions/_enqueue_deliveries.sql.
-- Versioned scripts all run before repeatable ones, each in its own
-- transaction, so on a live upgrade e-mail and push notifications could commit
-- without a job between V0402 (the outbox) and that file. From this version on
-- the trigger is part of the schema's history, and this script writes the
-- jobs such notifications missed.
SET LOCAL ROLE notifydb_owner;

-- One SEND_NOTIFICATION job per e-mail or push notification, in the statement
-- (hence the transaction) that inserted it. A statement trigger with a
-- transition table costs one INSERT ... SELECT per statement, so a fan-out of
-- 10,000 rows does not run 10,000 trigger calls; a deduplicated insert
-- (ON CONFLICT DO NOTHING) adds no row and so no job.
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

-- Creating the trigger locks notifications against writes until this script
-- commits, and waits for the inserts in flight: the backfill below sees every
-- notification committed without the trigger, and every later one has it.
CREATE OR REPLACE TRIGGER notifications_enqueue_deliveries
AFTER INSERT ON notifydb.notifications
REFERENCING NEW TABLE AS inserted_notifications
FOR EACH STATEMENT
EXECUTE FUNCTION notifydb._enqueue_deliveries();

COMMENT ON TRIGGER notifications_enqueue_deliveries ON notifydb.notifications IS
'Transactional outbox: every email/push notification gets its delivery job in the same transaction.';

-- Jobs for the notifications created while the outbox existed but its trigger
-- did not: no outcome recorded and no job means none was ever written (a job
-- leaves the outbox only with an outcome, or with its notification). Older
-- ones predate delivery through this database and are not sent now.
INSERT INTO notifydb.delivery_outbox (notification_id, tenant_id, user_id, channel)
SELECT
    n.id,
    n.tenant_id,
    n.user_id,
    n.channel
FROM notifydb.notifications AS n
WHERE
    n.channel IN ('email', 'push')
    AND n.delivery_status IS NULL
    AND n.created_at >= (
        SELECT h.installed_at FROM notifydb.schema_history AS h
        WHERE h.version = '0402' AND h.success
    )
    AND NOT EXISTS (
        SELECT FROM notifydb.delivery_outbox AS o
        WHERE o.notification_id = n.id
    );
