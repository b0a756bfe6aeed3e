SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_up_to(p_up_to timestamptz)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_up_to IS NULL THEN
        RAISE EXCEPTION 'p_up_to must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb._check_up_to(timestamptz) IS
'Private: raises 22023 when the cut-off p_up_to of mark_all_read or mark_seen is NULL.';

REVOKE ALL ON FUNCTION notifydb._check_up_to(timestamptz) FROM public;
