SET LOCAL ROLE notifydb_owner;

-- Lowers the inbox's seen horizon below p_below, as _lower_read_horizon
-- does the read horizon: the unread rows it covered from p_below up (those
-- visible when it was set) get seen_at written out first, p_keep_ids (new
-- rows that must stay unseen) are left alone, rows that had expired before
-- it was set count as unseen again, and with nothing left to cover it goes.
-- Called by the insert trigger for a row created below the horizon.
CREATE OR REPLACE FUNCTION notifydb._lower_seen_horizon(
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
    v_unseen bigint;
BEGIN
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id
        AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id);
    IF v_counters.seen_horizon IS NULL OR v_counters.seen_horizon < p_below THEN
        RETURN;
    END IF;
    -- Rows under the read horizon are seen through it and need nothing.
    UPDATE notifydb.notifications AS n
    SET seen_at = v_counters.seen_horizon_at
    WHERE n.tenant_id = p_tenant_id
        AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
        AND n.created_at >= p_below
        AND n.created_at > coalesce(v_counters.read_horizon, '-infinity')
        AND n.created_at <= v_counters.seen_horizon
        AND n.seen_at IS NULL
        AND NOT n.is_read
        AND n.deleted_at IS NULL
        AND (n.expires_at IS NULL OR n.expires_at > v_counters.seen_horizon_at)
        AND n.id <> ALL(p_keep_ids);
    IF NOT EXISTS (
        SELECT FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
            AND n.created_at > coalesce(v_counters.read_horizon, '-infinity')
            AND n.created_at <= v_lower
            AND n.seen_at IS NULL
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > v_counters.seen_horizon_at)
    ) THEN
        v_lower := NULL;
    END IF;
    SELECT
        pg_catalog.count(*) FILTER (
            WHERE notifydb._counts_as_unseen(n, v_counters.read_horizon, v_lower, v_counters.expired_through)
        )
    INTO v_unseen
    FROM notifydb.notifications AS n
    WHERE n.tenant_id = p_tenant_id
        AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
        AND n.expires_at <= v_counters.seen_horizon_at
        AND n.created_at <= v_counters.seen_horizon
        AND n.seen_at IS NULL
        AND NOT n.is_read
        AND n.deleted_at IS NULL
        AND n.id <> ALL(p_keep_ids);
    UPDATE notifydb.inbox_counters AS c
    SET seen_horizon = v_lower,
        seen_horizon_at = CASE WHEN v_lower IS NOT NULL THEN c.seen_horizon_at END,
        unseen = c.unseen + v_unseen
    WHERE c.tenant_id = p_tenant_id
        AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id);
END
$$;

COMMENT ON FUNCTION notifydb._lower_seen_horizon(uuid, uuid, timestamptz, uuid[]) IS
'Private: lowers the inbox''s seen_horizon below p_below, writing out seen_at of the rows it covered from there up (except p_keep_ids); clears it when it covers nothing more.';

REVOKE ALL ON FUNCTION notifydb._lower_seen_horizon(uuid, uuid, timestamptz, uuid[]) FROM public;
