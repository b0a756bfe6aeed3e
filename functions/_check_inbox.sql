SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_inbox(p_tenant_id uuid, p_user_id uuid)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION 'p_tenant_id must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The nil UUID keys the tenant-level inbox (notifydb._inbox_key).
    IF p_user_id = '00000000-0000-0000-0000-000000000000'::uuid THEN
        RAISE EXCEPTION 'p_user_id must not be the nil UUID (NULL addresses the tenant-level inbox)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb._check_inbox(uuid, uuid) IS
'Private: raises 22023 when p_tenant_id is NULL (every access is scoped by a tenant) or p_user_id is the nil UUID.';

REVOKE ALL ON FUNCTION notifydb._check_inbox(uuid, uuid) FROM public;
