SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.fan_out_notification(
    p_tenant_id uuid,
    p_user_ids uuid[],
    p_type text,
    p_title text,
    p_message text,
    p_channel text DEFAULT 'in_app',
    p_expires_at timestamptz DEFAULT NULL,
    p_data jsonb DEFAULT NULL,
    p_dedupe_key text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_created bigint;
BEGIN
    PERFORM notifydb._check_notification(
        p_tenant_id, p_type, p_title, p_message, p_channel, p_expires_at, p_data, p_dedupe_key
    );
    IF p_user_ids IS NULL THEN
        RAISE EXCEPTION 'p_user_ids must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The nil UUID keys the tenant-level inbox (notifydb._inbox_key).
    IF '00000000-0000-0000-0000-000000000000'::uuid = ANY(p_user_ids) THEN
        RAISE EXCEPTION 'p_user_ids must not contain the nil UUID'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One set-based statement. A NULL recipient is the tenant-level inbox,
    -- created once however often NULL is given. Recipients sorted by inbox
    -- key (NULL first: its key, the nil UUID, is the smallest) visit the
    -- inbox index in key order; an inbox that already has p_dedupe_key gets
    -- nothing new.
    -- Counted from RETURNING: on Citus the row count of an INSERT ... SELECT
    -- is the rows offered, conflicts included.
    WITH created AS (
        INSERT INTO notifydb.notifications (
            tenant_id, user_id, type, title, message, channel, expires_at, data, dedupe_key
        )
        SELECT
            p_tenant_id, r.user_id, p_type, p_title, p_message, p_channel,
            p_expires_at, p_data, p_dedupe_key
        FROM (
            SELECT DISTINCT u.user_id
            FROM pg_catalog.unnest(p_user_ids) AS u (user_id)
            ORDER BY u.user_id NULLS FIRST
        ) AS r
        ON CONFLICT (tenant_id, inbox_key, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
        RETURNING 1
    )

    SELECT pg_catalog.count(*) INTO v_created FROM created;
    PERFORM notifydb._announce('fan_out', p_tenant_id, NULL, NULL, v_created);
    RETURN v_created;
END
$$;

COMMENT ON FUNCTION notifydb.fan_out_notification(uuid, uuid[], text, text, text, text, timestamptz, jsonb, text) IS
'Creates the same notification for every distinct entry of p_user_ids in one statement (a NULL entry: the tenant-level inbox, once); recipients that already have p_dedupe_key are skipped. Returns the number of rows created.';

REVOKE ALL ON FUNCTION notifydb.fan_out_notification(uuid, uuid[], text, text, text, text, timestamptz, jsonb, text)
FROM public;
GRANT EXECUTE ON FUNCTION notifydb.fan_out_notification(uuid, uuid[], text, text, text, text, timestamptz, jsonb, text)
TO notifydb_app;
