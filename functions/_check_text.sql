SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_text(
    p_name text, p_value text, p_min integer, p_max integer
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_value IS NULL OR pg_catalog.char_length(p_value) NOT BETWEEN p_min AND p_max THEN
        RAISE EXCEPTION '% must be %..% characters', p_name, p_min, p_max
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb._check_text(text, text, integer, integer) IS
'Private: raises 22023 naming p_name unless p_value is present and p_min..p_max characters long.';

REVOKE ALL ON FUNCTION notifydb._check_text(text, text, integer, integer) FROM public;
