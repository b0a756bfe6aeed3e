SET LOCAL ROLE notifydb_owner;

-- THE lock order, for every path that changes notifications or their
-- counters: first the inbox_counters rows of the inboxes whose counts or
-- horizons may change, in (tenant_id, inbox_key) order; only then rows of
-- notifications. So
--   - mark_read, mark_unread, mark_all_read, mark_seen and
--     delete_notifications lock their one inbox's counter here first, before
--     they read its horizons or touch a row;
--   - inserts (create_notification, fan_out_notification, bulk loads) lock
--     their inboxes' counters in the insert trigger's upsert, sorted; the
--     rows they add are new, so nobody waits for those in between;
--   - retention batches lock their rows first (skipping rows others hold),
--     and then only counters that are free (SKIP LOCKED), so they never wait
--     for a counter while holding rows; rows of a busy inbox wait for the
--     next batch;
--   - the update and delete triggers lock the counters again (nothing to
--     wait for on the paths above) so that a DBA's own statement reads the
--     latest horizons too; such statements lock rows first, so they can
--     still deadlock with the functions.
-- One call of a function is deadlock-free against any other; a transaction
-- that calls several for different inboxes locks them in its own order.
CREATE OR REPLACE FUNCTION notifydb._lock_inbox(p_tenant_id uuid, p_inbox_key uuid)
RETURNS notifydb.inbox_counters
LANGUAGE plpgsql
VOLATILE
-- Generic plans: every argument has the same best plan (index ranges of one
-- inbox), and plpgsql would otherwise plan each call afresh.
SET plan_cache_mode = force_generic_plan
-- plpgsql, not sql: its plan is then kept for the session instead of being
-- made afresh at every call.
AS $$
DECLARE
    v_counters notifydb.inbox_counters;
BEGIN
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id AND c.inbox_key = p_inbox_key
    FOR NO KEY UPDATE;
    RETURN v_counters;
END
$$;

COMMENT ON FUNCTION notifydb._lock_inbox(uuid, uuid) IS
'Private: locks the inbox''s counter row and returns it (NULL when the inbox has none yet: then it has no notifications). States the lock order.';

REVOKE ALL ON FUNCTION notifydb._lock_inbox(uuid, uuid) FROM public;
