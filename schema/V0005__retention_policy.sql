-- How long rows are kept. One row, updated by DBAs; the trigger in
-- triggers/retention_policy_100_check.sql gives bad settings a clear error
-- and keeps the row from being deleted.
SET LOCAL ROLE notifydb_owner;

CREATE TABLE notifydb.retention_policy (
    singleton boolean NOT NULL DEFAULT TRUE,
    notification_max_age interval NOT NULL DEFAULT '90 days',
    deleted_grace interval NOT NULL DEFAULT '7 days',
    event_max_age interval NOT NULL DEFAULT '180 days',
    CONSTRAINT retention_policy_pkey PRIMARY KEY (singleton),
    CONSTRAINT retention_policy_one_row CHECK (singleton),
    CONSTRAINT retention_policy_notification_max_age_positive
    CHECK (notification_max_age > interval '0'),
    CONSTRAINT retention_policy_deleted_grace_positive
    CHECK (deleted_grace > interval '0'),
    -- The seed keeps system events 90 to 365 days.
    CONSTRAINT retention_policy_event_max_age_range
    CHECK (event_max_age BETWEEN interval '90 days' AND interval '365 days')
);

INSERT INTO notifydb.retention_policy DEFAULT VALUES;

COMMENT ON TABLE notifydb.retention_policy IS
'Retention settings (exactly one row): how long notifications and events are kept.';
COMMENT ON COLUMN notifydb.retention_policy.singleton IS
'Always true: the primary key that allows only one row.';
COMMENT ON COLUMN notifydb.retention_policy.notification_max_age IS
'Notifications older than this are deleted (default 90 days).';
COMMENT ON COLUMN notifydb.retention_policy.deleted_grace IS
'Soft-deleted notifications are deleted this long after deleted_at (default 7 days).';
COMMENT ON COLUMN notifydb.retention_policy.event_max_age IS
'Events whose last activity is older than this are deleted (default 180 days, 90..365).';
