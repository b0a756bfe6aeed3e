SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_ids(p_ids uuid[])
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_ids IS NULL THEN
        RAISE EXCEPTION 'p_ids must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb._check_ids(uuid[]) IS
'Private: raises 22023 when the id list p_ids is NULL (an empty list is fine and changes nothing).';

REVOKE ALL ON FUNCTION notifydb._check_ids(uuid[]) FROM public;
