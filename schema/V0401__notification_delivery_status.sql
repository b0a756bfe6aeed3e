-- The user-facing outcome of an e-mail or push delivery, recorded on the
-- notification when the relay reports it (the retry mechanics stay in the
-- outbox). "Pending" is not stored: it is "a job for this notification is in
-- notifydb.delivery_outbox", so creating a notification writes nothing here.
-- Neither column is indexed, so recording an outcome is a HOT update.
SET LOCAL ROLE notifydb_owner;

ALTER TABLE notifydb.notifications
ADD COLUMN delivery_status text,
ADD COLUMN delivery_finished_at timestamptz,
ADD CONSTRAINT notifications_delivery_status_check
CHECK (delivery_status IN ('sent', 'failed')),
ADD CONSTRAINT notifications_delivery_finished_at_matches_status
CHECK ((delivery_status IS NULL) = (delivery_finished_at IS NULL));

COMMENT ON COLUMN notifydb.notifications.delivery_status IS
'Outcome of the e-mail/push delivery: sent or failed. NULL while none is recorded: for email/push that means pending (its job is in delivery_outbox); in_app rows are never delivered.';
COMMENT ON COLUMN notifydb.notifications.delivery_finished_at IS
'When delivery_status was recorded: the relay reported it sent or failed, or its attempts ran out.';
