-- notifydb:no-transaction
-- Indexes on the unread rows of each inbox, built CONCURRENTLY so that adding
-- them to a live database never blocks writers.
--
-- Measured on the 5-million-row benchmark (bench/results/): keeping is_read
-- out of every index so that read updates could stay HOT made a heavy
-- user's mark_all_read walk all of the inbox's rows (84k heap pages for 24k
-- unread ones) and its unread count check the heap for every expired row.
-- With the inbox's pages spread over the heap, few of those updates were HOT
-- anyway. Finding the unread rows by index costs marking read its HOT-ness
-- (is_read and deleted_at are in the predicates) and buys a direct path.
SET ROLE notifydb_owner;

-- Unread-only pages and mark_all_read find exactly the unread rows.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_unread_idx
ON notifydb.notifications (tenant_id, user_id, created_at DESC, id DESC)
WHERE NOT is_read AND deleted_at IS NULL;

-- Counts subtract the expired unread rows retention has not deleted yet from
-- inbox_counters: an index-only count of this small index.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_unread_expiry_idx
ON notifydb.notifications (tenant_id, user_id, expires_at)
WHERE expires_at IS NOT NULL AND NOT is_read AND deleted_at IS NULL;

-- Replaced by notifications_unread_expiry_idx.
DROP INDEX CONCURRENTLY IF EXISTS notifydb.notifications_inbox_expiry_idx;

COMMENT ON INDEX notifydb.notifications_unread_idx IS
'Unread, not deleted notifications per inbox, newest first: unread-only pages and mark_all_read.';
COMMENT ON INDEX notifydb.notifications_unread_expiry_idx IS
'Unread notifications with an expiry per inbox: counts subtract the expired ones still present from inbox_counters.';
