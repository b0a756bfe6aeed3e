-- Jobs come from the notifications insert trigger, in the same statement as
-- their notification; this keeps any other insert from making an orphan
-- (what a foreign key would check, once per statement instead of per row).
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_jobs_have_notifications()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_orphan uuid;
BEGIN
    SELECT j.notification_id INTO v_orphan
    FROM inserted_jobs AS j
    WHERE NOT EXISTS (
        SELECT FROM notifydb.notifications AS n
        WHERE n.tenant_id = j.tenant_id AND n.id = j.notification_id
    )
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'delivery job for notification % that does not exist', v_orphan
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._check_jobs_have_notifications() IS
'Trigger function (AFTER INSERT, per statement) on delivery_outbox: every new job has its notification. Private.';

REVOKE ALL ON FUNCTION notifydb._check_jobs_have_notifications() FROM public;

CREATE OR REPLACE TRIGGER delivery_outbox_100_check_notifications
AFTER INSERT ON notifydb.delivery_outbox
REFERENCING NEW TABLE AS inserted_jobs
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._check_jobs_have_notifications();

COMMENT ON TRIGGER delivery_outbox_100_check_notifications ON notifydb.delivery_outbox IS
'No job without its notification (of the same tenant).';
