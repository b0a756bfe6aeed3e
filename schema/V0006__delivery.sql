-- Delivery of e-mail and push notifications through a transactional outbox,
-- and the numbering of NOTIFY announcements.
SET LOCAL ROLE notifydb_owner;

-- How often a delivery is attempted before it is given up. One row, updated by DBAs.
CREATE TABLE notifydb.delivery_policy (
    singleton boolean NOT NULL DEFAULT TRUE,
    max_attempts integer NOT NULL DEFAULT 5,
    CONSTRAINT delivery_policy_pkey PRIMARY KEY (singleton),
    CONSTRAINT delivery_policy_one_row CHECK (singleton),
    CONSTRAINT delivery_policy_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 100)
);

INSERT INTO notifydb.delivery_policy DEFAULT VALUES;

COMMENT ON TABLE notifydb.delivery_policy IS
'Delivery settings (exactly one row) for the SEND_NOTIFICATION outbox.';
COMMENT ON COLUMN notifydb.delivery_policy.singleton IS
'Always true: the primary key that allows only one row.';
COMMENT ON COLUMN notifydb.delivery_policy.max_attempts IS
'Claims a job may have (every claim is an attempt) before its delivery is given up as failed (default 5, 1..100).';

-- The transactional outbox: one SEND_NOTIFICATION job per e-mail or push
-- notification, written in the same statement as the notification (trigger
-- triggers/notifications_200_delivery_outbox.sql, which also deletes a job
-- with its notification) and drained by relays through claim_deliveries,
-- complete_deliveries and retry_deliveries.
CREATE TABLE notifydb.delivery_outbox (
    job_id bigint GENERATED ALWAYS AS IDENTITY,
    job_type text NOT NULL DEFAULT 'SEND_NOTIFICATION',
    notification_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    user_id uuid,
    channel text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    available_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    leased_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- tenant_id first, as in every tenant-owned key: a tenant's jobs can
    -- live on one node with its notifications.
    CONSTRAINT delivery_outbox_pkey PRIMARY KEY (tenant_id, job_id),
    CONSTRAINT delivery_outbox_job_type_check CHECK (job_type IN ('SEND_NOTIFICATION')),
    CONSTRAINT delivery_outbox_channel_check CHECK (channel IN ('email', 'push')),
    CONSTRAINT delivery_outbox_attempts_not_negative CHECK (attempts >= 0),
    CONSTRAINT delivery_outbox_last_error_length
    CHECK (pg_catalog.char_length(last_error) BETWEEN 1 AND 2000),
    -- A lease moves available_at to its end, so "claimable" is one range of
    -- the available_at index (leased jobs are not scanned past).
    CONSTRAINT delivery_outbox_lease_ends_at_available_at
    CHECK (leased_until IS NULL OR leased_until = available_at)
)
-- A queue: every row is inserted, updated and deleted within minutes, so
-- vacuum it long before the default 20 % of dead rows piles up.
WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);

-- complete_deliveries, retry_deliveries and delivery_contents find a claim
-- by its job id alone: that id is all a relay holds.
CREATE INDEX delivery_outbox_job_id_idx
ON notifydb.delivery_outbox (job_id);

-- Claims take the jobs that have been due longest.
CREATE INDEX delivery_outbox_available_at_idx
ON notifydb.delivery_outbox (available_at);

-- Deleting a notification (retention) finds its job through this index
-- instead of scanning the outbox once per deleted row.
CREATE INDEX delivery_outbox_notification_id_idx
ON notifydb.delivery_outbox (notification_id);

COMMENT ON TABLE notifydb.delivery_outbox IS
'Transactional outbox of delivery jobs (SEND_NOTIFICATION for email/push notifications), drained by relays with claim/complete/retry_deliveries. A job exists exactly while its delivery is pending. Private.';
COMMENT ON COLUMN notifydb.delivery_outbox.job_id IS
'With tenant_id the primary key; renewed by every claim: it names the latest claim, and complete/retry_deliveries act only on that one. Increases with time; a delivery across attempts is its notification_id.';
COMMENT ON COLUMN notifydb.delivery_outbox.job_type IS
'What the job does; SEND_NOTIFICATION delivers the notification on its channel.';
COMMENT ON COLUMN notifydb.delivery_outbox.notification_id IS
'The notification (of tenant_id) to deliver. Kept by triggers rather than a foreign key, whose ON DELETE CASCADE fires once per deleted row: deleting the notification deletes the job, and no job is written without its notification.';
COMMENT ON COLUMN notifydb.delivery_outbox.tenant_id IS
'Tenant of the notification (copied so a claim needs no join).';
COMMENT ON COLUMN notifydb.delivery_outbox.user_id IS
'Recipient of the notification, NULL for the tenant as a whole (copied so a claim needs no join).';
COMMENT ON COLUMN notifydb.delivery_outbox.channel IS
'email or push (in_app notifications have no job).';
COMMENT ON COLUMN notifydb.delivery_outbox.attempts IS
'How many times the job was claimed; every claim counts, so a job whose relay keeps dying still runs out (delivery_policy.max_attempts).';
COMMENT ON COLUMN notifydb.delivery_outbox.available_at IS
'Next time the job may be claimed: creation, the end of a retry delay, or the end of the current lease.';
COMMENT ON COLUMN notifydb.delivery_outbox.leased_until IS
'End of the lease of the latest claim; NULL when not claimed since created or put back by retry_deliveries.';
COMMENT ON COLUMN notifydb.delivery_outbox.last_error IS
'Error the relay reported with its latest retry (1..2,000 characters).';
COMMENT ON COLUMN notifydb.delivery_outbox.created_at IS
'When the job was written (with its notification).';

-- Postgres delivers identical NOTIFY payloads of one transaction once, so two
-- equal announcements in a transaction (mark_read, mark_unread, then mark_read
-- again of the same ids) would arrive as one. Each payload carries the next
-- value of this sequence (functions/_announce.sql), so none equals another.
CREATE SEQUENCE notifydb.announcement_seq AS bigint;

COMMENT ON SEQUENCE notifydb.announcement_seq IS
'Numbers the NOTIFY notifydb announcements (the payload''s seq), so Postgres never folds two of them into one. Unique, increasing within a session, not gap-free. Private.';
COMMENT ON INDEX notifydb.delivery_outbox_job_id_idx IS
'complete_deliveries, retry_deliveries and delivery_contents: a claim by its job id.';
COMMENT ON INDEX notifydb.delivery_outbox_available_at_idx IS
'claim_deliveries: the jobs due longest first.';
COMMENT ON INDEX notifydb.delivery_outbox_notification_id_idx IS
'Deleting notifications deletes their jobs by index probe.';
