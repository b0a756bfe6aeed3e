SET LOCAL ROLE notifydb_owner;

-- mark_seen's fast path, for an inbox without a seen horizon: one counter
-- update says "everything up to here is seen". Like _set_read_horizon: the
-- horizon is at most the newest unread row, the counter is locked first and
-- no row lock follows. Returns how many visible notifications became seen.
CREATE OR REPLACE FUNCTION notifydb._set_seen_horizon(p_tenant_id uuid, p_user_id uuid, p_up_to timestamptz)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- Plans made for the actual p_user_id turn the NULL-safe inbox test into a
-- plain index condition (user_id = x, or user_id IS NULL).
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_counters notifydb.inbox_counters;
    v_horizon timestamptz;
    v_unseen bigint := 0;
    v_expired bigint;
BEGIN
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id
        AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id)
    FOR NO KEY UPDATE;
    -- Nothing unread (or no counter at all): nothing to mark.
    IF v_counters.unread_newest_at IS NULL OR v_counters.seen_horizon IS NOT NULL THEN
        RETURN 0;
    END IF;
    -- Only unread rows can be unseen, so nothing newer needs covering.
    v_horizon := least(p_up_to, v_counters.unread_newest_at);
    IF v_horizon < v_counters.unread_newest_at THEN
        SELECT
            pg_catalog.count(*) FILTER (
                WHERE notifydb._counts_as_unseen(n, v_counters.read_horizon, NULL, v_counters.expired_through)
            )
        INTO v_unseen
        FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
            AND n.created_at > v_horizon
            AND NOT n.is_read
            AND n.deleted_at IS NULL;
    END IF;
    SELECT pg_catalog.count(*) INTO v_expired
    FROM notifydb.notifications AS n
    WHERE n.tenant_id = p_tenant_id
        AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
        AND n.expires_at > coalesce(v_counters.expired_through, '-infinity')
        AND n.expires_at <= pg_catalog.now()
        AND n.created_at > coalesce(v_counters.read_horizon, '-infinity')
        AND n.created_at <= v_horizon
        AND n.seen_at IS NULL
        AND NOT n.is_read
        AND n.deleted_at IS NULL;
    UPDATE notifydb.inbox_counters AS c
    SET seen_horizon = v_horizon,
        seen_horizon_at = pg_catalog.now(),
        unseen = v_unseen
    WHERE c.tenant_id = p_tenant_id
        AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id);
    RETURN v_counters.unseen - v_unseen - v_expired;
END
$$;

COMMENT ON FUNCTION notifydb._set_seen_horizon(uuid, uuid, timestamptz) IS
'Private: for an inbox without a seen horizon, sets one at p_up_to (or its newest unread row, if older) and brings its unseen counter along; returns how many visible notifications it made seen.';

REVOKE ALL ON FUNCTION notifydb._set_seen_horizon(uuid, uuid, timestamptz) FROM public;
