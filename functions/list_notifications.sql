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
    v_unread bigint;
    v_unread_newest_at timestamptz;
    v_read_horizon timestamptz;
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    IF p_before_id IS NOT NULL AND p_before_created_at IS NULL THEN
        RAISE EXCEPTION 'p_before_created_at must be given with p_before_id'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The inbox's counter bounds an unread-only walk of
    -- notifications_unread_idx: nothing to read when nothing is unread, at
    -- most as many rows as are unread, from the newest unread row's
    -- created_at (an upper bound) down to the read horizon. A STABLE
    -- function reads the counter and the rows in one snapshot.
    IF v_unread_only THEN
        SELECT c.unread, c.unread_newest_at, coalesce(c.read_horizon, '-infinity')
        INTO v_unread, v_unread_newest_at, v_read_horizon
        FROM notifydb.inbox_counters AS c
        WHERE c.tenant_id = p_tenant_id AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id);
        IF coalesce(v_unread, 0) = 0 THEN
            RETURN;
        END IF;
        v_limit := LEAST(v_limit, v_unread);
        -- (created_at, id) < (t + 1 microsecond, the smallest uuid) is
        -- created_at <= t, timestamptz having microsecond resolution.
        IF v_unread_newest_at + interval '1 microsecond' < v_before_created_at THEN
            v_before_created_at := v_unread_newest_at + interval '1 microsecond';
            v_before_id := '00000000-0000-0000-0000-000000000000'::uuid;
        END IF;
    END IF;
    -- Four forms, so that each walks its index newest first: the tenant-level
    -- inbox (user_id IS NULL) or a user's, all rows or the unread ones (a
    -- literal NOT is_read, which a generic plan can match to the partial index).
    -- A page of all rows reads the inbox's read horizon in the same statement
    -- (a separate lookup costs a second executor run): rows under it are read.
    IF p_user_id IS NULL AND v_unread_only THEN
        RETURN QUERY
        SELECT
            n.id, n.type::text, n.title, n.message, n.channel::text, n.data,
            n.is_read, n.created_at, n.read_at, n.expires_at
        FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id IS NULL
            AND (n.created_at, n.id) < (v_before_created_at, v_before_id)
            AND n.created_at > v_read_horizon
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        ORDER BY n.created_at DESC, n.id DESC
        LIMIT v_limit;
    ELSIF p_user_id IS NULL THEN
        RETURN QUERY
        WITH horizon AS MATERIALIZED (
            SELECT c.read_horizon, c.read_horizon_at
            FROM notifydb.inbox_counters AS c
            WHERE c.tenant_id = p_tenant_id AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id)
        )

        SELECT
            n.id, n.type::text, n.title, n.message, n.channel::text, n.data,
            n.is_read OR coalesce(n.created_at <= h.read_horizon, FALSE),
            n.created_at,
            CASE WHEN n.is_read THEN n.read_at WHEN n.created_at <= h.read_horizon THEN h.read_horizon_at END,
            n.expires_at
        FROM notifydb.notifications AS n
        LEFT JOIN horizon AS h ON TRUE
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id IS NULL
            AND (n.created_at, n.id) < (v_before_created_at, v_before_id)
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        ORDER BY n.created_at DESC, n.id DESC
        LIMIT v_limit;
    ELSIF v_unread_only THEN
        RETURN QUERY
        SELECT
            n.id, n.type::text, n.title, n.message, n.channel::text, n.data,
            n.is_read, n.created_at, n.read_at, n.expires_at
        FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id = p_user_id
            AND (n.created_at, n.id) < (v_before_created_at, v_before_id)
            AND n.created_at > v_read_horizon
            AND NOT n.is_read
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        ORDER BY n.created_at DESC, n.id DESC
        LIMIT v_limit;
    ELSE
        RETURN QUERY
        WITH horizon AS MATERIALIZED (
            SELECT c.read_horizon, c.read_horizon_at
            FROM notifydb.inbox_counters AS c
            WHERE c.tenant_id = p_tenant_id AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(p_user_id)
        )

        SELECT
            n.id, n.type::text, n.title, n.message, n.channel::text, n.data,
            n.is_read OR coalesce(n.created_at <= h.read_horizon, FALSE),
            n.created_at,
            CASE WHEN n.is_read THEN n.read_at WHEN n.created_at <= h.read_horizon THEN h.read_horizon_at END,
            n.expires_at
        FROM notifydb.notifications AS n
        LEFT JOIN horizon AS h ON TRUE
        WHERE n.tenant_id = p_tenant_id
            AND n.user_id = p_user_id
            AND (n.created_at, n.id) < (v_before_created_at, v_before_id)
            AND n.deleted_at IS NULL
            AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now())
        ORDER BY n.created_at DESC, n.id DESC
        LIMIT v_limit;
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb.list_notifications(uuid, uuid, boolean, integer, timestamptz, uuid) IS
'One page of an inbox (p_user_id NULL: the tenant-level inbox), newest first, without deleted or expired rows. Keyset paging: pass the last row''s created_at and id as p_before_created_at and p_before_id. p_limit is clamped to 1..100.';

REVOKE ALL ON FUNCTION notifydb.list_notifications(uuid, uuid, boolean, integer, timestamptz, uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.list_notifications(uuid, uuid, boolean, integer, timestamptz, uuid)
TO notifydb_app;
