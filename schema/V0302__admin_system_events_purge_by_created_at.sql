-- notifydb:no-transaction
-- Event retention walks events by created_at, which never changes, instead
-- of V0301's index on their last activity (greatest(created_at,
-- last_seen_at, resolved_at)). That index held last_seen_at, so every
-- fingerprint repeat (record_event bumping last_seen_at) changed an indexed
-- column: no repeat could be a HOT update, and each one wrote a new entry
-- into every index of the table. Now a repeat changes occurrences,
-- last_seen_at, description and details, none of them indexed (only a
-- severity escalation, which is rare, touches an index).
--
-- An event's last activity is never before its creation, so every event
-- due for purging has an old created_at: the purge walks this index from the
-- oldest row and rechecks the last activity of each row (see
-- retention/_events_due.sql). The id makes the order unique, for the
-- keyset cursor that carries a purge and an export from batch to batch.
-- Built and dropped CONCURRENTLY so that a live database never blocks
-- writers.
SET ROLE notifydb_owner;

CREATE INDEX CONCURRENTLY IF NOT EXISTS admin_system_events_created_at_idx
ON notifydb.admin_system_events (created_at, id);

COMMENT ON INDEX notifydb.admin_system_events_created_at_idx IS
'Retention: events oldest first (created_at never changes, so fingerprint repeats stay HOT updates), then id.';

DROP INDEX CONCURRENTLY IF EXISTS notifydb.admin_system_events_last_activity_idx;
