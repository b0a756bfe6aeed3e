-- Jobs follow their notifications through statement triggers instead of the
-- foreign key's ON DELETE CASCADE, which fires one trigger per deleted row:
-- on the 5-million-row benchmark that was 34 ms of a 51 ms 5,000-row
-- retention batch. Each statement below is one set-based join instead.
-- Everything is in this one transaction, so no delete can slip between the
-- foreign key going and the trigger that replaces it arriving.
SET LOCAL ROLE notifydb_owner;

CREATE FUNCTION notifydb._delete_jobs_of_deleted_notifications()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM notifydb.delivery_outbox AS o
    USING deleted_notifications AS d
    WHERE o.notification_id = d.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._delete_jobs_of_deleted_notifications() IS
'Trigger function (AFTER DELETE, per statement) on notifications: deletes the outbox jobs of the deleted rows. Private.';

CREATE TRIGGER notifications_delete_jobs
AFTER DELETE ON notifydb.notifications
REFERENCING OLD TABLE AS deleted_notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._delete_jobs_of_deleted_notifications();

COMMENT ON TRIGGER notifications_delete_jobs ON notifydb.notifications IS
'Deleting a notification (retention) deletes its delivery job, one join per statement.';

CREATE FUNCTION notifydb._delete_all_jobs()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- DELETE, not TRUNCATE: a TRUNCATE of both tables at once is still
    -- running on the outbox here.
    DELETE FROM notifydb.delivery_outbox;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._delete_all_jobs() IS
'Trigger function (AFTER TRUNCATE) on notifications: no notification, no job. Private.';

CREATE TRIGGER notifications_delete_all_jobs
AFTER TRUNCATE ON notifydb.notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._delete_all_jobs();

COMMENT ON TRIGGER notifications_delete_all_jobs ON notifydb.notifications IS
'Truncating notifications empties the delivery outbox.';

-- Jobs come from the notifications insert trigger, in the same statement as
-- their notification; this keeps any other insert from making an orphan.
CREATE FUNCTION notifydb._check_jobs_have_notifications()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_orphan uuid;
BEGIN
    SELECT j.notification_id INTO v_orphan
    FROM inserted_jobs AS j
    WHERE NOT EXISTS (SELECT FROM notifydb.notifications AS n WHERE n.id = j.notification_id)
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

CREATE TRIGGER delivery_outbox_check_notifications
AFTER INSERT ON notifydb.delivery_outbox
REFERENCING NEW TABLE AS inserted_jobs
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._check_jobs_have_notifications();

COMMENT ON TRIGGER delivery_outbox_check_notifications ON notifydb.delivery_outbox IS
'No job without its notification (what the foreign key used to check, once per statement).';

REVOKE ALL ON FUNCTION notifydb._delete_jobs_of_deleted_notifications() FROM public;
REVOKE ALL ON FUNCTION notifydb._delete_all_jobs() FROM public;
REVOKE ALL ON FUNCTION notifydb._check_jobs_have_notifications() FROM public;

ALTER TABLE notifydb.delivery_outbox DROP CONSTRAINT delivery_outbox_notification_fkey;

COMMENT ON COLUMN notifydb.delivery_outbox.notification_id IS
'The notification to deliver; deleting it deletes the job (trigger notifications_delete_jobs).';
