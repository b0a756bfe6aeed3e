SET LOCAL ROLE notifydb_owner;

-- Lowers the inbox's read horizon below p_below. The rows it read from
-- p_below up (those visible when it was set) get their read state written
-- out first, so no notification changes state; p_keep_ids (new rows that
-- must stay unread) are left alone. Rows it covered that had expired before
-- it was set stay unread, as mark_all_read would have left them, and count
-- again like any expired row. With nothing left for it to read, it goes.
-- The caller holds _lock_inbox_horizons, or is the insert trigger. Rows are
-- locked before the counter (by the update trigger), as every writer does.
CREATE OR REPLACE FUNCTION notifydb._lower_read_horizon(
    p_tenant_id uuid, p_user_id uuid, p_below timestamptz, p_keep_ids uuid[]
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- A rare path: plans made for the actual p_user_id turn the NULL-safe inbox
-- test into a plain index condition (user_id = x, or user_id IS NULL).
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_counters notifydb.inbox_counters;
    v_lower timestamptz := p_below - interval '1 microsecond';
    v_unread bigint;
    v_unseen bigint;
    v_unread_newest_at timestamptz;
BEGIN
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id
        AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id);
    IF v_counters.read_horizon IS NULL OR v_counters.read_horizon < p_below THEN
        RETURN;
    END IF;
    UPDATE notifydb.notifications AS n
    SET is_read = TRUE,
        read_at = v_counters.read_horizon_at,
        seen_at = coalesce(n.seen_at, v_counters.read_horizon_at)
    WHERE n.tenant_id = p_tenant_id
        AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
        AND n.created_at >= p_below
        AND n.created_at <= v_counters.read_horizon
        AND NOT n.is_read
        AND n.deleted_at IS NULL
        AND (n.expires_at IS NULL OR n.expires_at > v_counters.read_horizon_at)
        AND n.id <> ALL(p_keep_ids);
    IF NOT EXISTS (
        SELECT FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
            AND n.created_at <= v_lower
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > v_counters.read_horizon_at)
    ) THEN
        v_lower := NULL;
    END IF;
    SELECT
        pg_catalog.count(*) FILTER (WHERE notifydb._counts_as_unread(n, v_lower, v_counters.expired_through)),
        pg_catalog.count(*) FILTER (
            WHERE notifydb._counts_as_unseen(n, v_lower, v_counters.seen_horizon, v_counters.expired_through)
        ),
        pg_catalog.max(n.created_at) FILTER (WHERE notifydb._counts_as_unread(n, v_lower, v_counters.expired_through))
    INTO v_unread, v_unseen, v_unread_newest_at
    FROM notifydb.notifications AS n
    WHERE n.tenant_id = p_tenant_id
        AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
        AND n.expires_at <= v_counters.read_horizon_at
        AND n.created_at <= v_counters.read_horizon
        AND NOT n.is_read
        AND n.deleted_at IS NULL
        AND n.id <> ALL(p_keep_ids);
    UPDATE notifydb.inbox_counters AS c
    SET read_horizon = v_lower,
        read_horizon_at = CASE WHEN v_lower IS NOT NULL THEN c.read_horizon_at END,
        unread = c.unread + v_unread,
        unseen = c.unseen + v_unseen,
        unread_newest_at = greatest(c.unread_newest_at, v_unread_newest_at)
    WHERE c.tenant_id = p_tenant_id
        AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id);
END
$$;

COMMENT ON FUNCTION notifydb._lower_read_horizon(uuid, uuid, timestamptz, uuid[]) IS
'Private: lowers the inbox''s read_horizon below p_below, writing out the read state of the rows it read from there up (except p_keep_ids); clears it when it reads nothing more.';

REVOKE ALL ON FUNCTION notifydb._lower_read_horizon(uuid, uuid, timestamptz, uuid[]) FROM public;
