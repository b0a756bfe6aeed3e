SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.create_notification(
    p_tenant_id uuid,
    p_user_id uuid,
    p_type text,
    p_title text,
    p_message text,
    p_channel text DEFAULT 'in_app',
    p_expires_at timestamptz DEFAULT NULL,
    p_data jsonb DEFAULT NULL,
    p_dedupe_key text DEFAULT NULL
)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM notifydb._check_inbox(p_tenant_id, p_user_id);
    PERFORM notifydb._check_notification(
        p_tenant_id, p_type, p_title, p_message, p_channel, p_expires_at, p_data, p_dedupe_key
    );
    -- Without a dedupe key nothing can conflict: a plain INSERT spares the
    -- speculative insertion (an index pre-check and a WAL record per row).
    IF p_dedupe_key IS NULL THEN
        INSERT INTO notifydb.notifications AS n (
            tenant_id, user_id, type, title, message, channel, expires_at, data
        )
        VALUES (p_tenant_id, p_user_id, p_type, p_title, p_message, p_channel, p_expires_at, p_data)
        RETURNING n.id INTO v_id;
        PERFORM notifydb._announce('create', p_tenant_id, p_user_id, ARRAY[v_id], 1);
        RETURN v_id;
    END IF;
    LOOP
        -- DO NOTHING waits for a concurrent inserter of the same key and
        -- skips only once that row committed, so the SELECT below (a new
        -- snapshot under READ COMMITTED) sees it. The loop covers the rare
        -- case of that row being purged in between.
        INSERT INTO notifydb.notifications AS n (
            tenant_id, user_id, type, title, message, channel, expires_at, data, dedupe_key
        )
        VALUES (
            p_tenant_id, p_user_id, p_type, p_title, p_message, p_channel,
            p_expires_at, p_data, p_dedupe_key
        )
        ON CONFLICT (tenant_id, inbox_key, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
        RETURNING n.id INTO v_id;
        IF v_id IS NOT NULL THEN
            PERFORM notifydb._announce('create', p_tenant_id, p_user_id, ARRAY[v_id], 1);
            RETURN v_id;
        END IF;
        SELECT n.id INTO v_id
        FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND n.inbox_key = notifydb._inbox_key(p_user_id)
            AND n.dedupe_key = p_dedupe_key;
        IF v_id IS NOT NULL THEN
            RETURN v_id;
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION notifydb.create_notification(uuid, uuid, text, text, text, text, timestamptz, jsonb, text) IS
'Creates a notification for a user (p_user_id NULL: the tenant-level inbox) and returns its id. A repeated p_dedupe_key for the same recipient creates nothing and returns the first row''s id, also under concurrent calls.';

REVOKE ALL ON FUNCTION notifydb.create_notification(uuid, uuid, text, text, text, text, timestamptz, jsonb, text)
FROM public;
GRANT EXECUTE ON FUNCTION notifydb.create_notification(uuid, uuid, text, text, text, text, timestamptz, jsonb, text)
TO notifydb_app;
