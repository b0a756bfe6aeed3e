-- The notifications table: every column of the seed with its name and type,
-- the constraints the seed leaves implicit, the columns the contract adds,
-- and the indexes, each with the query it serves. Triggers on it live in
-- triggers/notifications_*.sql.
SET LOCAL ROLE notifydb_owner;

CREATE TABLE notifydb.notifications (
    -- A version 7 UUID (RFC 9562: 48 bits of Unix milliseconds, then random
    -- bits), written out so that the default needs no function: new rows
    -- land on the right-most leaf of every index that holds the id instead of
    -- a random page, which keeps a fan-out's WAL small.
    id uuid NOT NULL DEFAULT pg_catalog.encode(
        pg_catalog.set_bit(
            pg_catalog.set_bit(
                pg_catalog.overlay(
                    pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                    pg_catalog.substr(
                        pg_catalog.int8send(
                            pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()) * 1000)::bigint
                        ),
                        3
                    ),
                    1,
                    6
                ),
                52, 1
            ),
            53, 1
        ),
        'hex'
    )::uuid,
    user_id uuid,
    tenant_id uuid NOT NULL,
    type varchar(100) NOT NULL,
    title text NOT NULL,
    message text NOT NULL,
    channel varchar(20) NOT NULL DEFAULT 'in_app',
    is_read boolean NOT NULL DEFAULT FALSE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    read_at timestamptz,
    expires_at timestamptz,
    deleted_at timestamptz,
    data jsonb,
    dedupe_key text,
    seen_at timestamptz,
    delivery_status text,
    delivery_finished_at timestamptz,
    -- One non-null key per inbox, so that every statement finds an inbox
    -- with one equality: the user, or the nil UUID for the tenant-level
    -- inbox (user_id NULL). notifydb._inbox_key() computes the same.
    inbox_key uuid NOT NULL GENERATED ALWAYS AS (
        coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid)
    ) STORED,
    -- tenant_id first in every key: each tenant's rows can live on one node.
    CONSTRAINT notifications_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT notifications_user_id_not_nil
    CHECK (user_id <> '00000000-0000-0000-0000-000000000000'::uuid),
    CONSTRAINT notifications_type_length
    CHECK (pg_catalog.char_length(type) BETWEEN 1 AND 100),
    CONSTRAINT notifications_title_length
    CHECK (pg_catalog.char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT notifications_message_length
    CHECK (pg_catalog.char_length(message) BETWEEN 1 AND 2000),
    CONSTRAINT notifications_channel_check
    CHECK (channel IN ('in_app', 'email', 'push')),
    CONSTRAINT notifications_data_is_small_object CHECK (
        data IS NULL
        OR (
            pg_catalog.jsonb_typeof(data) = 'object'
            AND pg_catalog.octet_length(data::text) <= 4096
        )
    ),
    CONSTRAINT notifications_dedupe_key_length
    CHECK (pg_catalog.char_length(dedupe_key) BETWEEN 1 AND 200),
    CONSTRAINT notifications_read_at_matches_is_read
    CHECK (is_read = (read_at IS NOT NULL)),
    CONSTRAINT notifications_delivery_status_check
    CHECK (delivery_status IN ('sent', 'failed')),
    CONSTRAINT notifications_delivery_finished_at_matches_status
    CHECK ((delivery_status IS NULL) = (delivery_finished_at IS NULL))
)
-- Room on each page lets read, seen and delivery updates stay HOT.
WITH (fillfactor = 90);

-- list_notifications: one inbox, newest first; the id breaks ties for
-- keyset paging. Tenant first, unlike the seed, so tenant-wide access has
-- an index too.
CREATE INDEX notifications_inbox_idx
ON notifydb.notifications (tenant_id, inbox_key, created_at DESC, id DESC);

-- create_notification and fan_out_notification: at most one notification
-- per dedupe key and inbox (ON CONFLICT's arbiter).
CREATE UNIQUE INDEX notifications_dedupe_key_idx
ON notifydb.notifications (tenant_id, inbox_key, dedupe_key)
WHERE dedupe_key IS NOT NULL;

-- Unread-only pages, mark_all_read and mark_seen walk exactly the unread
-- rows of an inbox (a heavy inbox's read rows would otherwise be wading).
CREATE INDEX notifications_unread_idx
ON notifydb.notifications (tenant_id, inbox_key, created_at DESC, id DESC)
WHERE NOT is_read AND deleted_at IS NULL;

-- unread_count and unseen_count subtract the expired unread rows that
-- retention has not deleted yet from the counters: an index-only count.
CREATE INDEX notifications_unread_expiry_idx
ON notifydb.notifications (tenant_id, inbox_key, expires_at)
WHERE expires_at IS NOT NULL AND NOT is_read AND deleted_at IS NULL;

-- Retention (retention/_notifications_due.sql) starts each batch at the
-- oldest due rows of each reason instead of scanning the heap. None of these
-- holds is_read, read_at or seen_at, so marking read or seen stays cheap.
-- Most rows never expire, so this one is partial.
CREATE INDEX notifications_expires_at_idx
ON notifydb.notifications (expires_at)
WHERE expires_at IS NOT NULL;

-- A B-tree rather than BRIN: purging and re-inserting reuses free space all
-- over the heap, which soon breaks the physical order BRIN relies on.
CREATE INDEX notifications_created_at_idx
ON notifydb.notifications (created_at);

CREATE INDEX notifications_deleted_at_idx
ON notifydb.notifications (deleted_at)
WHERE deleted_at IS NOT NULL;

COMMENT ON TABLE notifydb.notifications IS
'In-app notifications that users and admins see and mark read or hide. Private: use the notifydb functions.';
COMMENT ON COLUMN notifydb.notifications.id IS
'A time-ordered UUID (version 7); with tenant_id the primary key.';
COMMENT ON COLUMN notifydb.notifications.user_id IS
'Recipient user; NULL addresses the tenant as a whole (its admins), with one shared read state.';
COMMENT ON COLUMN notifydb.notifications.tenant_id IS
'Tenant the notification belongs to; every access is scoped by it.';
COMMENT ON COLUMN notifydb.notifications.type IS
'Machine-readable kind, e.g. CAMPAIGN_COMPLETED or QUOTA_WARNING (1..100 characters).';
COMMENT ON COLUMN notifydb.notifications.title IS
'Short human-readable title (1..200 characters).';
COMMENT ON COLUMN notifydb.notifications.message IS
'Human-readable body (1..2,000 characters); heavy content belongs in the Content DB.';
COMMENT ON COLUMN notifydb.notifications.channel IS
'Delivery channel: in_app, email or push.';
COMMENT ON COLUMN notifydb.notifications.is_read IS
'Read by its own mark (always equal to read_at IS NOT NULL). The inbox''s read horizon may read it too: read state comes from the functions, not this column.';
COMMENT ON COLUMN notifydb.notifications.created_at IS
'When it was created; inbox order is created_at DESC, id DESC.';
COMMENT ON COLUMN notifydb.notifications.read_at IS
'When it was first read by its own mark; kept when it is marked read again, cleared when marked unread.';
COMMENT ON COLUMN notifydb.notifications.expires_at IS
'After this time it is hidden from lists and counts, and retention deletes it.';
COMMENT ON COLUMN notifydb.notifications.deleted_at IS
'Soft delete (hidden by the user); retention hard-deletes it after the grace period.';
COMMENT ON COLUMN notifydb.notifications.data IS
'Small structured context for the client: a JSON object of at most 4 KB.';
COMMENT ON COLUMN notifydb.notifications.dedupe_key IS
'Caller-chosen key: a second notification with the same key for the same inbox is not created.';
COMMENT ON COLUMN notifydb.notifications.seen_at IS
'When the recipient first saw it by its own mark (opened the bell or read it); a read notification counts as seen even without it.';
COMMENT ON COLUMN notifydb.notifications.delivery_status IS
'Outcome of the e-mail/push delivery: sent or failed. NULL while none is recorded: for email/push that means pending (its job is in delivery_outbox); in_app rows are never delivered.';
COMMENT ON COLUMN notifydb.notifications.delivery_finished_at IS
'When delivery_status was recorded: the relay reported it sent or failed, or its attempts ran out.';
COMMENT ON COLUMN notifydb.notifications.inbox_key IS
'The inbox: user_id, or the nil UUID for the tenant-level inbox (user_id NULL). Generated.';
COMMENT ON INDEX notifydb.notifications_inbox_idx IS
'list_notifications: one inbox, newest first.';
COMMENT ON INDEX notifydb.notifications_dedupe_key_idx IS
'At most one notification per dedupe key and inbox.';
COMMENT ON INDEX notifydb.notifications_unread_idx IS
'Unread, not deleted notifications per inbox, newest first: unread-only pages, mark_all_read and mark_seen.';
COMMENT ON INDEX notifydb.notifications_unread_expiry_idx IS
'Unread notifications with an expiry per inbox: counts subtract the expired ones still present.';
COMMENT ON INDEX notifydb.notifications_expires_at_idx IS
'Retention: notifications past expires_at, oldest first.';
COMMENT ON INDEX notifydb.notifications_created_at_idx IS
'Retention: notifications older than retention_policy.notification_max_age, oldest first.';
COMMENT ON INDEX notifydb.notifications_deleted_at_idx IS
'Retention: soft-deleted notifications past retention_policy.deleted_grace, oldest first.';
