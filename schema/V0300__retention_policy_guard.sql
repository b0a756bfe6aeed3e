-- A DBA edits notifydb.retention_policy by hand: a bad value must fail with
-- an error that says which setting and what is allowed (the CHECKs stay as
-- the backstop), and the single row must not disappear, because every purge
-- reads its cutoffs from it.
SET LOCAL ROLE notifydb_owner;

CREATE FUNCTION notifydb._retention_policy_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'notifydb.retention_policy must keep its one row'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                HINT = 'UPDATE notifydb.retention_policy SET ... instead.';
    END IF;
    IF NEW.notification_max_age <= interval '0' THEN
        RAISE EXCEPTION 'notification_max_age must be a positive interval, got %', NEW.notification_max_age
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.deleted_grace <= interval '0' THEN
        RAISE EXCEPTION 'deleted_grace must be a positive interval, got %', NEW.deleted_grace
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT NEW.event_max_age BETWEEN interval '90 days' AND interval '365 days' THEN
        RAISE EXCEPTION 'event_max_age must be between 90 days and 365 days, got %', NEW.event_max_age
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION notifydb._retention_policy_check() IS
'Trigger on notifydb.retention_policy: rejects bad settings with SQLSTATE 22023 naming the setting, and refuses to delete or truncate the one row.';

REVOKE ALL ON FUNCTION notifydb._retention_policy_check() FROM public;

CREATE TRIGGER retention_policy_check
BEFORE INSERT OR UPDATE OR DELETE ON notifydb.retention_policy
FOR EACH ROW EXECUTE FUNCTION notifydb._retention_policy_check();

CREATE TRIGGER retention_policy_no_truncate
BEFORE TRUNCATE ON notifydb.retention_policy
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._retention_policy_check();

COMMENT ON TRIGGER retention_policy_check ON notifydb.retention_policy IS
'Clear 22023 errors for bad settings (before the CHECK constraints fire); the row cannot be deleted.';
COMMENT ON TRIGGER retention_policy_no_truncate ON notifydb.retention_policy IS
'The row cannot be truncated away either.';
