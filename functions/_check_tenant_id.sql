SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_tenant_id(p_tenant_id uuid)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION 'p_tenant_id must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb._check_tenant_id(uuid) IS
'Private: raises 22023 when p_tenant_id is NULL (every access is scoped by a tenant).';

REVOKE ALL ON FUNCTION notifydb._check_tenant_id(uuid) FROM public;
