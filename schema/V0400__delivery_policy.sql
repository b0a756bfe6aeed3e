-- How often a delivery is attempted before it is given up. One row, updated by DBAs.
SET LOCAL ROLE notifydb_owner;

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
