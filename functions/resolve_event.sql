-- Marks a system event resolved; the first resolver and time are kept.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.resolve_event(p_event_id bigint, p_resolved_by uuid)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_event_id IS NULL THEN
        RAISE EXCEPTION 'p_event_id must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_resolved_by IS NULL THEN
        RAISE EXCEPTION 'p_resolved_by must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- Concurrent callers queue on the row lock; the ones that follow the
    -- winner re-check NOT is_resolved against its committed row and match
    -- nothing, so exactly one call returns true.
    UPDATE notifydb.admin_system_events AS e
    SET is_resolved = TRUE, resolved_at = pg_catalog.now(), resolved_by = p_resolved_by
    WHERE e.id = p_event_id AND NOT e.is_resolved;
    IF FOUND THEN
        RETURN TRUE;
    END IF;

    IF NOT EXISTS (SELECT FROM notifydb.admin_system_events AS e WHERE e.id = p_event_id) THEN
        RAISE EXCEPTION 'event % does not exist', p_event_id
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN FALSE;
END
$$;

COMMENT ON FUNCTION notifydb.resolve_event(bigint, uuid) IS
'Resolves a system event: true when this call resolved it, false when it already was (the first resolver and time are kept). An unknown id raises P0002.';

REVOKE ALL ON FUNCTION notifydb.resolve_event(bigint, uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.resolve_event(bigint, uuid) TO notifydb_admin;
