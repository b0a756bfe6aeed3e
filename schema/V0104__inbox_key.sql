-- notifydb:no-transaction
-- One key per inbox, so that a single equality finds any inbox's counter:
-- the tenant-level inbox (user_id NULL) becomes the nil UUID, which no user
-- may have. Built CONCURRENTLY and validated without blocking writers.
SET ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._inbox_key(p_user_id uuid)
RETURNS uuid
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT coalesce(p_user_id, '00000000-0000-0000-0000-000000000000'::uuid)
$$;

COMMENT ON FUNCTION notifydb._inbox_key(uuid) IS
'Private: the inbox key of a user id: the id itself, or the nil UUID for the tenant-level inbox (user_id NULL). Plain SQL, so the planner inlines it.';

REVOKE ALL ON FUNCTION notifydb._inbox_key(uuid) FROM public;

-- The nil UUID is the tenant-level inbox's key, never a user. NOT VALID
-- first, so that adding it takes its lock only for a moment.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_constraint
        WHERE conname = 'notifications_user_id_not_nil' AND conrelid = 'notifydb.notifications'::regclass
    ) THEN
        ALTER TABLE notifydb.notifications
        ADD CONSTRAINT notifications_user_id_not_nil
        CHECK (user_id <> '00000000-0000-0000-0000-000000000000'::uuid) NOT VALID;
    END IF;
END
$$;

ALTER TABLE notifydb.notifications VALIDATE CONSTRAINT notifications_user_id_not_nil;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS inbox_counters_inbox_key_idx
ON notifydb.inbox_counters (tenant_id, notifydb._inbox_key(user_id));

COMMENT ON INDEX notifydb.inbox_counters_inbox_key_idx IS
'One counter row per inbox, found by (tenant_id, _inbox_key(user_id)): one equality serves user and tenant-level inboxes, in lookups, joins and ON CONFLICT.';
