-- notifydb:no-transaction
-- Indexes that let each purge batch start at the oldest due rows instead of
-- scanning the heap. Built CONCURRENTLY so that adding them to a live
-- database never blocks writers.
--
-- None of them contains is_read, read_at or seen_at: marking read or seen
-- must stay a HOT update. deleted_at (soft delete) and the event's last
-- activity change rarely; those updates pay for one index entry each.
SET ROLE notifydb_owner;

-- Expired notifications; most rows never expire, so the index is partial.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_expires_at_idx
ON notifydb.notifications (expires_at)
WHERE expires_at IS NOT NULL;

-- Notifications older than notification_max_age. A B-tree rather than BRIN:
-- purging and re-inserting reuses free space all over the heap, which soon
-- breaks the physical ordering BRIN relies on.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_created_at_idx
ON notifydb.notifications (created_at);

-- Soft-deleted notifications past their grace period.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_deleted_at_idx
ON notifydb.notifications (deleted_at)
WHERE deleted_at IS NOT NULL;

-- Events by last activity (GREATEST ignores NULLs and is immutable on
-- timestamptz); the id makes it a unique order for the export's keyset paging.
CREATE INDEX CONCURRENTLY IF NOT EXISTS admin_system_events_last_activity_idx
ON notifydb.admin_system_events ((greatest(created_at, last_seen_at, resolved_at)), id);

COMMENT ON INDEX notifydb.notifications_expires_at_idx IS
'Retention: finds notifications past expires_at, oldest first.';
COMMENT ON INDEX notifydb.notifications_created_at_idx IS
'Retention: finds notifications older than retention_policy.notification_max_age, oldest first.';
COMMENT ON INDEX notifydb.notifications_deleted_at_idx IS
'Retention: finds soft-deleted notifications past retention_policy.deleted_grace, oldest first.';
COMMENT ON INDEX notifydb.admin_system_events_last_activity_idx IS
'Retention: events by last activity (latest of created_at, last_seen_at, resolved_at), then id.';
