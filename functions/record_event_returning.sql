-- Records a system event, or bumps the open event with the same fingerprint,
-- and returns what the event now is: record_event's body, and what the
-- Python client calls, so that its log record says what happened (a new
-- event or a repeat, the resulting severity, ...) in one round trip.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.record_event_returning(
    p_event_type text,
    p_severity text,
    p_description text,
    p_details jsonb DEFAULT NULL,
    p_tenant_id uuid DEFAULT NULL,
    p_user_id uuid DEFAULT NULL,
    p_fingerprint text DEFAULT NULL,
    OUT id bigint,
    OUT event_type text,
    OUT severity text,
    OUT occurrences integer,
    OUT created_at timestamptz,
    OUT last_seen_at timestamptz
)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_event_type IS NULL OR pg_catalog.char_length(p_event_type) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'p_event_type must be 1..100 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_severity IS NULL OR NOT p_severity = ANY (notifydb._event_severities()) THEN
        RAISE EXCEPTION 'p_severity must be low, medium, high or critical'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_description IS NULL OR pg_catalog.char_length(p_description) NOT BETWEEN 1 AND 2000 THEN
        RAISE EXCEPTION 'p_description must be 1..2000 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_details IS NOT NULL AND (
        pg_catalog.jsonb_typeof(p_details) <> 'object'
        OR pg_catalog.octet_length(p_details::text) > 8192
    ) THEN
        RAISE EXCEPTION 'p_details must be a JSON object of at most 8 KB'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.char_length(p_fingerprint) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'p_fingerprint must be 1..200 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- A repeat of an open fingerprint keeps the event's identity (id,
    -- event_type, user_id, created_at), takes the latest description and
    -- details (they describe the latest occurrence), and escalates severity
    -- to the highest seen, so a critical repeat is never hidden under an
    -- earlier low. occurrences saturates rather than overflow, which would
    -- make the fingerprint unrecordable. The unique partial index is the
    -- arbiter, which makes this exact under concurrent calls; once the event
    -- is resolved it leaves that index and the next call inserts anew.
    INSERT INTO notifydb.admin_system_events AS e (
        event_type, severity, description, details, tenant_id, user_id, fingerprint
    )
    VALUES (
        p_event_type, p_severity, p_description, p_details, p_tenant_id, p_user_id, p_fingerprint
    )
    ON CONFLICT (tenant_id, fingerprint) WHERE fingerprint IS NOT NULL AND NOT is_resolved
    DO UPDATE SET
        occurrences = e.occurrences + (e.occurrences < 2147483647)::integer,
        last_seen_at = pg_catalog.now(),
        description = excluded.description,
        details = excluded.details,
        severity = CASE
            WHEN pg_catalog.array_position(notifydb._event_severities(), excluded.severity)
                > pg_catalog.array_position(notifydb._event_severities(), e.severity)
                THEN excluded.severity
            ELSE e.severity
        END
    RETURNING e.id, e.event_type, e.severity, e.occurrences, e.created_at, e.last_seen_at
    INTO id, event_type, severity, occurrences, created_at, last_seen_at;
END
$$;

COMMENT ON FUNCTION notifydb.record_event_returning(text, text, text, jsonb, uuid, uuid, text) IS
'record_event, returning the event as it now stands: id, event_type (the first occurrence''s), severity (the highest seen), occurrences, created_at and last_seen_at. Bad input raises 22023 naming the parameter.';

REVOKE ALL ON FUNCTION notifydb.record_event_returning(text, text, text, jsonb, uuid, uuid, text) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.record_event_returning(text, text, text, jsonb, uuid, uuid, text)
TO notifydb_app, notifydb_admin;
