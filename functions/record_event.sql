-- Records a system event, or bumps the open event with the same fingerprint.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.record_event(
    p_event_type text,
    p_severity text,
    p_description text,
    p_details jsonb DEFAULT NULL,
    p_tenant_id uuid DEFAULT NULL,
    p_user_id uuid DEFAULT NULL,
    p_fingerprint text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The validation and the upsert live in record_event_returning.
    RETURN (
        notifydb.record_event_returning(
            p_event_type, p_severity, p_description, p_details, p_tenant_id, p_user_id, p_fingerprint
        )
    ).id;
END
$$;

COMMENT ON FUNCTION notifydb.record_event(text, text, text, jsonb, uuid, uuid, text) IS
'Records a system event and returns its id. With a fingerprint that matches an unresolved event of the same tenant, bumps that event instead (occurrences, last_seen_at, latest description and details, highest severity) and returns its id. Bad input raises 22023 naming the parameter.';

REVOKE ALL ON FUNCTION notifydb.record_event(text, text, text, jsonb, uuid, uuid, text) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.record_event(text, text, text, jsonb, uuid, uuid, text)
TO notifydb_app, notifydb_admin;
