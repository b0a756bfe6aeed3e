-- The benchmark's own bookkeeping inside the bench database: what was built
-- (so --keep can reuse it), who receives notifications, and staging tables
-- that let one generated batch go into notifydb and the seed alike.
CREATE SCHEMA bench_meta;

CREATE TABLE bench_meta.dataset (
    singleton boolean PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    params jsonb NOT NULL,
    state text NOT NULL DEFAULT 'building',
    built_at timestamptz,
    growth jsonb
);

CREATE TABLE bench_meta.recipients (
    recipient_no integer PRIMARY KEY,
    tenant_id uuid NOT NULL,
    user_id uuid,
    n_rows integer NOT NULL,
    n_reserve integer NOT NULL
);

CREATE UNLOGGED TABLE bench_meta.staged_notifications (
    id uuid NOT NULL,
    user_id uuid,
    tenant_id uuid NOT NULL,
    type varchar(100) NOT NULL,
    title text NOT NULL,
    message text NOT NULL,
    channel varchar(20) NOT NULL,
    is_read boolean NOT NULL,
    created_at timestamptz NOT NULL,
    read_at timestamptz,
    expires_at timestamptz,
    deleted_at timestamptz,
    data jsonb
);

-- The write floor updates this one row: a round trip plus a commit that must
-- flush WAL (an xid alone, as txid_current() takes, commits without a flush).
CREATE TABLE bench_meta.commit_probe (
    singleton boolean PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    beats bigint NOT NULL DEFAULT 0
);

INSERT INTO bench_meta.commit_probe DEFAULT VALUES;

CREATE UNLOGGED TABLE bench_meta.staged_events (
    id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    event_type text NOT NULL,
    severity text NOT NULL,
    description text NOT NULL,
    details jsonb,
    tenant_id uuid,
    user_id uuid,
    is_resolved boolean NOT NULL,
    resolved_at timestamptz,
    resolved_by uuid
);

COMMENT ON SCHEMA bench_meta IS
'notifydb benchmark bookkeeping: marks this database as the benchmark''s own.';
COMMENT ON TABLE bench_meta.dataset IS
'What was built (parameters, when) and the growth figures measured during the build.';
COMMENT ON TABLE bench_meta.recipients IS
'One row per inbox (user, or tenant-level with user_id NULL) and how many rows it gets.';
COMMENT ON TABLE bench_meta.staged_notifications IS
'One generated batch of notifications, copied into notifydb and the seed alike.';
COMMENT ON TABLE bench_meta.commit_probe IS
'One row the write floor updates: a round trip plus a WAL-flushing commit.';
COMMENT ON TABLE bench_meta.staged_events IS
'The generated admin events, copied into notifydb and the seed alike.';

-- A version 7 UUID for a given time, so that backdated rows get the ids
-- notifydb would have given them then (its column default uses the clock).
CREATE FUNCTION bench_meta.uuid_v7(p_at timestamptz)
RETURNS uuid
LANGUAGE sql
VOLATILE
AS $$
    SELECT pg_catalog.encode(
        pg_catalog.set_bit(
            pg_catalog.set_bit(
                pg_catalog.overlay(
                    pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                    pg_catalog.substr(pg_catalog.int8send(pg_catalog.floor(pg_catalog.date_part('epoch', p_at) * 1000)::bigint), 3),
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
