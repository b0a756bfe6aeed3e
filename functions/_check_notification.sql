SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_notification(
    p_tenant_id uuid,
    p_type text,
    p_title text,
    p_message text,
    p_channel text,
    p_expires_at timestamptz,
    p_data jsonb,
    p_dedupe_key text
)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    PERFORM notifydb._check_tenant_id(p_tenant_id);
    PERFORM notifydb._check_text('p_type', p_type, 1, 100);
    PERFORM notifydb._check_text('p_title', p_title, 1, 200);
    PERFORM notifydb._check_text('p_message', p_message, 1, 2000);
    IF p_channel IS NULL OR p_channel NOT IN ('in_app', 'email', 'push') THEN
        RAISE EXCEPTION 'p_channel must be in_app, email or push'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_expires_at <= pg_catalog.now() THEN
        RAISE EXCEPTION 'p_expires_at must be in the future'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_data IS NOT NULL AND (
        pg_catalog.jsonb_typeof(p_data) <> 'object'
        OR pg_catalog.octet_length(p_data::text) > 4096
    ) THEN
        RAISE EXCEPTION 'p_data must be a JSON object of at most 4096 bytes'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_dedupe_key IS NOT NULL THEN
        PERFORM notifydb._check_text('p_dedupe_key', p_dedupe_key, 1, 200);
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb._check_notification(uuid, text, text, text, text, timestamptz, jsonb, text) IS
'Private: the argument checks shared by create_notification and fan_out_notification (22023 naming the parameter).';

REVOKE ALL ON FUNCTION notifydb._check_notification(uuid, text, text, text, text, timestamptz, jsonb, text) FROM public;
