-- The transactional outbox: one SEND_NOTIFICATION job per e-mail or push
-- notification, written in the same transaction as the notification (by the
-- trigger in functions/_enqueue_deliveries.sql) and drained by relays through
-- claim_deliveries, complete_deliveries and retry_deliveries.
SET LOCAL ROLE notifydb_owner;

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
    CONSTRAINT delivery_outbox_pkey PRIMARY KEY (job_id),
    CONSTRAINT delivery_outbox_notification_fkey FOREIGN KEY (notification_id)
    REFERENCES notifydb.notifications (id) ON DELETE CASCADE,
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
'Primary key; increases with time.';
COMMENT ON COLUMN notifydb.delivery_outbox.job_type IS
'What the job does; SEND_NOTIFICATION delivers the notification on its channel.';
COMMENT ON COLUMN notifydb.delivery_outbox.notification_id IS
'The notification to deliver; deleting it deletes the job.';
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
