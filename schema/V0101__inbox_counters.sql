-- Exact per-inbox unread and unseen counters, so the badge costs a key
-- lookup instead of a scan of a heavy user's inbox. Statement-level triggers
-- on notifications (functions/_inbox_counters_after_*.sql) keep them exact
-- under the functions, retention's plain DELETEs and a DBA's bulk loads.
SET LOCAL ROLE notifydb_owner;

CREATE TABLE notifydb.inbox_counters (
    tenant_id uuid NOT NULL,
    user_id uuid,
    unread bigint NOT NULL DEFAULT 0,
    unseen bigint NOT NULL DEFAULT 0,
    unread_newest_at timestamptz
)
-- Counter updates then stay HOT. No CHECK (unread >= 0): triggers apply
-- negative deltas through INSERT ... ON CONFLICT, whose proposed row is
-- checked before the conflict turns it into an update.
WITH (fillfactor = 70);

-- One row per inbox; NULLS NOT DISTINCT makes the tenant-level inbox
-- (user_id IS NULL) one row too, and lets ON CONFLICT target it.
CREATE UNIQUE INDEX inbox_counters_inbox_idx
ON notifydb.inbox_counters (tenant_id, user_id) NULLS NOT DISTINCT;

COMMENT ON TABLE notifydb.inbox_counters IS
'Per-inbox counts of not-deleted notifications, expired ones included (readers subtract those). Maintained by triggers on notifications; private.';
COMMENT ON COLUMN notifydb.inbox_counters.tenant_id IS
'Tenant of the inbox.';
COMMENT ON COLUMN notifydb.inbox_counters.user_id IS
'User of the inbox; NULL for the tenant-level inbox.';
COMMENT ON COLUMN notifydb.inbox_counters.unread IS
'Notifications with NOT is_read AND deleted_at IS NULL.';
COMMENT ON COLUMN notifydb.inbox_counters.unread_newest_at IS
'Upper bound of created_at over the unread rows (NULL when none): an unread-only page starts its index scan here instead of wading through newer read rows. Raised by triggers, reset when unread reaches 0, not lowered by reads.';
COMMENT ON COLUMN notifydb.inbox_counters.unseen IS
'Notifications with NOT is_read AND seen_at IS NULL AND deleted_at IS NULL.';

-- Lists and counts hide expired rows, but a counter cannot expire by itself:
-- readers subtract the inbox's expired rows still present, found through
-- this index. It stays small because retention deletes expired rows, and
-- it keeps is_read, read_at and seen_at out of key and predicate so that
-- marking read or seen remains a HOT update.
CREATE INDEX notifications_inbox_expiry_idx
ON notifydb.notifications (tenant_id, user_id, expires_at)
WHERE expires_at IS NOT NULL;

COMMENT ON INDEX notifydb.notifications_inbox_expiry_idx IS
'Per-inbox expiry: lets counts subtract expired, not yet purged rows from inbox_counters.';
