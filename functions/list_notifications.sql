SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.list_notifications(
    p_tenant_id uuid,
    p_user_id uuid,
    p_unread_only boolean DEFAULT FALSE,
    p_limit integer DEFAULT 20,
    p_before_created_at timestamptz DEFAULT NULL,
    p_before_id uuid DEFAULT NULL
)
RETURNS TABLE (
    id uuid,
    type text,
    title text,
    message text,
    channel text,
    data jsonb,
    is_read boolean,
    created_at timestamptz,
    read_at timestamptz,
    expires_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Generic plans: every argument has the same best plan (index lookups by key),
-- and plpgsql would otherwise plan each call afresh (0.1-0.3 ms a call).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_limit integer := LEAST(GREATEST(COALESCE(p_limit, 20), 1), 100);
    v_unread_only boolean := COALESCE(p_unread_only, FALSE);
    -- Without a cursor the keyset bound is "after everything", so the bound
    -- is always an index condition and page N never rescans pages 1..N-1.
    -- A cursor time without an id means "strictly older than that time".
    v_before_created_at timestamptz := COALESCE(p_before_created_at, 'infinity');
    v_before_id uuid := COALESCE(
        p_before_id,
        CASE
            WHEN p_before_created_at IS NULL THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid
            ELSE '00000000-0000-0000-0000-000000000000'::uuid
        END
    );
    v_inbox_key uuid := notifydb._inbox_key(p_user_id);
    v_counters notifydb.inbox_counters;
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    IF p_before_id IS NOT NULL AND p_before_created_at IS NULL THEN
        RAISE EXCEPTION 'p_before_created_at must be given with p_before_id'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The inbox's counters: its read horizon decides what reads as read on
    -- a page of all rows, and bound an unread-only walk. A STABLE function
    -- reads them and the rows in one snapshot. (Read apart rather than joined
    -- in: the join's executor start cost more than this lookup, measured.)
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id AND c.inbox_key = v_inbox_key;
    IF NOT v_unread_only THEN
        RETURN QUERY
        SELECT
            n.id, n.type::text, n.title, n.message, n.channel::text, n.data,
            NOT notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, 'unread'),
            n.created_at,
            CASE
                WHEN n.is_read THEN n.read_at
                WHEN NOT notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, 'unread') THEN v_counters.read_horizon_at
            END,
            n.expires_at
        FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND n.inbox_key = v_inbox_key
            AND (n.created_at, n.id) < (v_before_created_at, v_before_id)
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        ORDER BY n.created_at DESC, n.id DESC
        LIMIT v_limit;
        RETURN;
    END IF;
    -- The counter bounds an unread-only walk of notifications_unread_idx:
    -- nothing to read when nothing is unread, at most as many rows as are
    -- unread, from the newest unread row's created_at (an upper bound) down
    -- to the read horizon.
    IF coalesce(v_counters.unread, 0) = 0 THEN
        RETURN;
    END IF;
    v_limit := least(v_limit, v_counters.unread);
    -- (created_at, id) < (t + 1 microsecond, the smallest uuid) is
    -- created_at <= t, timestamptz having microsecond resolution.
    IF v_counters.unread_newest_at + interval '1 microsecond' < v_before_created_at THEN
        v_before_created_at := v_counters.unread_newest_at + interval '1 microsecond';
        v_before_id := '00000000-0000-0000-0000-000000000000'::uuid;
    END IF;
    RETURN QUERY
    SELECT
        n.id, n.type::text, n.title, n.message, n.channel::text, n.data,
        n.is_read, n.created_at, n.read_at, n.expires_at
    FROM notifydb.notifications AS n
    WHERE n.tenant_id = p_tenant_id
        AND n.inbox_key = v_inbox_key
        AND (n.created_at, n.id) < (v_before_created_at, v_before_id)
        AND notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, 'unread')
        AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
    ORDER BY n.created_at DESC, n.id DESC
    LIMIT v_limit;
END
$$;

COMMENT ON FUNCTION notifydb.list_notifications(uuid, uuid, boolean, integer, timestamptz, uuid) IS
'One page of an inbox (p_user_id NULL: the tenant-level inbox), newest first, without deleted or expired rows. Keyset paging: pass the last row''s created_at and id as p_before_created_at and p_before_id; p_before_created_at alone pages strictly before that time, p_before_id alone raises 22023. p_limit is clamped to 1..100 (NULL: 20), never refused.';

REVOKE ALL ON FUNCTION notifydb.list_notifications(uuid, uuid, boolean, integer, timestamptz, uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.list_notifications(uuid, uuid, boolean, integer, timestamptz, uuid)
TO notifydb_app;
