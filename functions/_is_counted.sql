SET LOCAL ROLE notifydb_owner;

-- THE rule for a notification's read and seen state, which every function,
-- trigger and recount applies. A notification is
--     read    when is_read, or it was created up to its inbox's read_horizon;
--     seen    when read, or seen_at is set, or it was created up to the
--             inbox's seen_horizon;
-- and a not deleted one that is not read (not seen) counts in its inbox's
-- unread (unseen) counter. Expiry is not part of it: counters keep expired
-- rows until retention deletes them, and readers subtract those. Plain SQL,
-- so the planner inlines it (NOT is_read then matches partial indexes).
--
-- Callers pass a table's row as ROW(n.*)::notifydb.notifications (and
-- ROW(c.*)::notifydb.inbox_counters), not as n: on Citus a statement runs on
-- a shard, whose rows are of the shard's own type (notifications_102008).
CREATE OR REPLACE FUNCTION notifydb._is_counted(
    p_row notifydb.notifications, p_counters notifydb.inbox_counters, p_counter text
)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT NOT (p_row).is_read
        AND (p_row).deleted_at IS NULL
        AND (p_row).created_at > coalesce((p_counters).read_horizon, '-infinity')
        AND (
            p_counter = 'unread'
            OR ((p_row).seen_at IS NULL AND (p_row).created_at > coalesce((p_counters).seen_horizon, '-infinity'))
        )
$$;

COMMENT ON FUNCTION notifydb._is_counted(notifydb.notifications, notifydb.inbox_counters, text) IS
'Private: whether the notification counts in its inbox''s p_counter (unread or unseen) under the horizons of p_counters (NULL: none). The one statement of the read and seen rule.';

REVOKE ALL ON FUNCTION notifydb._is_counted(notifydb.notifications, notifydb.inbox_counters, text) FROM public;
