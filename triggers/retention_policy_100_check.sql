-- A DBA edits notifydb.retention_policy by hand: a bad value must fail with
-- an error that says which setting and what is allowed (the CHECKs stay as
-- the backstop), and the single row must not disappear, because every purge
-- reads its cutoffs from it. Ages must not have a month part: interval
-- comparison takes a month as 30 days, so '3 months' would pass the
-- 90..365-day check, yet now() - interval '3 months' goes back 89 to 92
-- calendar days. A value set before this check keeps working until changed.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._retention_policy_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_setting text;
    v_new interval;
    v_old interval;
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'notifydb.retention_policy must keep its one row'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                HINT = 'UPDATE notifydb.retention_policy SET ... instead.';
    END IF;
    FOR v_setting, v_new, v_old IN
        SELECT s.setting, s.new_value, s.old_value
        FROM (
            VALUES
            ('notification_max_age', NEW.notification_max_age, CASE WHEN TG_OP = 'UPDATE' THEN OLD.notification_max_age END),
            ('deleted_grace', NEW.deleted_grace, CASE WHEN TG_OP = 'UPDATE' THEN OLD.deleted_grace END),
            ('event_max_age', NEW.event_max_age, CASE WHEN TG_OP = 'UPDATE' THEN OLD.event_max_age END)
        ) AS s (setting, new_value, old_value)
    LOOP
        -- As text: interval equality takes '1 year' = '360 days'.
        IF v_new::text IS DISTINCT FROM v_old::text
            AND (pg_catalog.date_part('year', v_new) <> 0 OR pg_catalog.date_part('month', v_new) <> 0) THEN
            RAISE EXCEPTION '% must be given in days (or hours, minutes, seconds), not months or years, got %',
                v_setting, v_new
                USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'A month is 28 to 31 days; write e.g. ''90 days'' or ''365 days''.';
        END IF;
    END LOOP;
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
'Trigger on notifydb.retention_policy: rejects bad settings with SQLSTATE 22023 naming the setting (ages set with a month or year part included), and refuses to delete or truncate the one row.';

REVOKE ALL ON FUNCTION notifydb._retention_policy_check() FROM public;

CREATE OR REPLACE TRIGGER retention_policy_100_check
BEFORE INSERT OR UPDATE OR DELETE ON notifydb.retention_policy
FOR EACH ROW EXECUTE FUNCTION notifydb._retention_policy_check();

CREATE OR REPLACE TRIGGER retention_policy_100_no_truncate
BEFORE TRUNCATE ON notifydb.retention_policy
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._retention_policy_check();

COMMENT ON TRIGGER retention_policy_100_check ON notifydb.retention_policy IS
'Clear 22023 errors for bad settings (before the CHECK constraints fire); the row cannot be deleted.';
COMMENT ON TRIGGER retention_policy_100_no_truncate ON notifydb.retention_policy IS
'The row cannot be truncated away either.';
