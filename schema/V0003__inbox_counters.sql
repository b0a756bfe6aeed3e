-- One row per inbox: exact unread and unseen counts, so the badge costs a key
-- lookup instead of a scan of a heavy user's inbox, and the inbox's read and
-- seen horizons, so mark_all_read and mark_seen cost one row update however
-- many notifications they cover. The rule that combines a notification's own
-- marks with its inbox's horizons is stated once, in
-- functions/_is_counted.sql; the triggers in
-- triggers/notifications_100_inbox_counters.sql keep the counts exact under
-- the functions, retention's DELETEs and a DBA's bulk loads; the lock order
-- is written down in functions/_lock_inbox.sql.
SET LOCAL ROLE notifydb_owner;

CREATE TABLE notifydb.inbox_counters (
    tenant_id uuid NOT NULL,
    inbox_key uuid NOT NULL,
    unread bigint NOT NULL DEFAULT 0,
    unseen bigint NOT NULL DEFAULT 0,
    unread_newest_at timestamptz,
    read_horizon timestamptz,
    read_horizon_at timestamptz,
    seen_horizon timestamptz,
    seen_horizon_at timestamptz,
    -- Also the ON CONFLICT arbiter of the counter triggers' upserts.
    CONSTRAINT inbox_counters_pkey PRIMARY KEY (tenant_id, inbox_key),
    CONSTRAINT inbox_counters_read_horizon_has_time
    CHECK ((read_horizon IS NULL) = (read_horizon_at IS NULL)),
    CONSTRAINT inbox_counters_seen_horizon_has_time
    CHECK ((seen_horizon IS NULL) = (seen_horizon_at IS NULL))
)
-- Counter updates stay HOT. No CHECK (unread >= 0): triggers apply negative
-- deltas through INSERT ... ON CONFLICT, whose proposed row is checked
-- before the conflict turns it into an update.
WITH (fillfactor = 70);

COMMENT ON TABLE notifydb.inbox_counters IS
'Per-inbox unread and unseen counts and read and seen horizons, kept by triggers on notifications. Private.';
COMMENT ON COLUMN notifydb.inbox_counters.tenant_id IS
'Tenant of the inbox.';
COMMENT ON COLUMN notifydb.inbox_counters.inbox_key IS
'The inbox: the user id, or the nil UUID for the tenant-level inbox (notifications.inbox_key).';
COMMENT ON COLUMN notifydb.inbox_counters.unread IS
'Notifications that count as unread (notifydb._is_counted), expired ones included until retention deletes them: readers subtract those.';
COMMENT ON COLUMN notifydb.inbox_counters.unseen IS
'Notifications that count as unseen (notifydb._is_counted), expired ones included as in unread.';
COMMENT ON COLUMN notifydb.inbox_counters.unread_newest_at IS
'Upper bound of created_at over the rows counted in unread (NULL when none): an unread-only page starts its index scan here, and a horizon never needs to go past it. Raised by triggers, reset when unread reaches 0.';
COMMENT ON COLUMN notifydb.inbox_counters.read_horizon IS
'mark_all_read: every notification of the inbox created up to this time is read, whatever its is_read says. NULL: none.';
COMMENT ON COLUMN notifydb.inbox_counters.read_horizon_at IS
'When read_horizon was set: the read_at of the notifications it reads.';
COMMENT ON COLUMN notifydb.inbox_counters.seen_horizon IS
'mark_seen: every notification of the inbox created up to this time is seen, whatever its seen_at says. NULL: none.';
COMMENT ON COLUMN notifydb.inbox_counters.seen_horizon_at IS
'When seen_horizon was set: the seen_at of the notifications it covers.';
