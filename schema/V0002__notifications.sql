-- The notifications table: every column of the seed with its name and type,
-- the constraints the seed leaves implicit, and the columns the contract adds.
SET LOCAL ROLE notifydb_owner;

-- Time-ordered UUIDs (version 7): new rows land on the right-most leaf of
-- every uuid index instead of a random page, which keeps fan-out WAL small.
CREATE FUNCTION notifydb._uuid_v7(p_at timestamptz DEFAULT pg_catalog.clock_timestamp())
RETURNS uuid
LANGUAGE sql
VOLATILE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.encode(
        pg_catalog.set_bit(
            pg_catalog.set_bit(
                pg_catalog.overlay(
                    pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                    pg_catalog.substr(
                        pg_catalog.int8send(
                            pg_catalog.floor(
                                pg_catalog.date_part('epoch', p_at) * 1000
                            )::bigint
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
    )::uuid
$$;

COMMENT ON FUNCTION notifydb._uuid_v7(timestamptz) IS
'A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits. Private: the default of notifications.id.';

CREATE TABLE notifydb.notifications (
    id uuid NOT NULL DEFAULT notifydb._uuid_v7(),
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
    CONSTRAINT notifications_pkey PRIMARY KEY (id),
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
    CHECK (is_read = (read_at IS NOT NULL))
)
-- Room on each page lets read/seen updates stay HOT (no index writes).
WITH (fillfactor = 90);

-- Every inbox read is "this tenant, this user (or the tenant-level inbox,
-- user_id IS NULL), newest first"; the id breaks ties for keyset paging.
-- Tenant first, unlike the seed, so tenant-wide access has an index too.
CREATE INDEX notifications_inbox_idx
ON notifydb.notifications (tenant_id, user_id, created_at DESC, id DESC);

-- At most one notification per dedupe key and recipient; NULLS NOT DISTINCT
-- makes this hold for the tenant-level inbox (user_id IS NULL) as well.
CREATE UNIQUE INDEX notifications_dedupe_key_idx
ON notifydb.notifications (tenant_id, user_id, dedupe_key) NULLS NOT DISTINCT
WHERE dedupe_key IS NOT NULL;

COMMENT ON TABLE notifydb.notifications IS
'In-app notifications that users and admins see and mark read or hide. Private: use the notifydb functions.';
COMMENT ON COLUMN notifydb.notifications.id IS
'Primary key, a time-ordered UUID (version 7).';
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
'Whether the recipient has read it; always equal to read_at IS NOT NULL.';
COMMENT ON COLUMN notifydb.notifications.created_at IS
'When it was created; inbox order is created_at DESC, id DESC.';
COMMENT ON COLUMN notifydb.notifications.read_at IS
'When it was first read; kept when it is marked read again, cleared when marked unread.';
COMMENT ON COLUMN notifydb.notifications.expires_at IS
'After this time it is hidden from lists and counts, and retention deletes it.';
COMMENT ON COLUMN notifydb.notifications.deleted_at IS
'Soft delete (hidden by the user); retention hard-deletes it after the grace period.';
COMMENT ON COLUMN notifydb.notifications.data IS
'Small structured context for the client: a JSON object of at most 4 KB.';
COMMENT ON COLUMN notifydb.notifications.dedupe_key IS
'Caller-chosen key: a second notification with the same key for the same recipient is not created.';
