-- Seen state (the badge): a notification is unseen until the recipient opens
-- the bell (mark_seen) or reads it. Not indexed, so marking seen stays HOT.
SET LOCAL ROLE notifydb_owner;

ALTER TABLE notifydb.notifications ADD COLUMN seen_at timestamptz;

COMMENT ON COLUMN notifydb.notifications.seen_at IS
'When the recipient first saw it (opened the bell or read it); a read notification counts as seen even without it.';
