-- Deleting notifications deleted their jobs by joining the statement's
-- transition table to delivery_outbox, and the planner chose a merge join
-- that walked the outbox's notification_id index from its start: on 2
-- million notifications with 300,000 jobs, 96 ms of a 5,000-row retention
-- batch. An array of the deleted ids makes it one index probe per id,
-- bounded by the batch (10 ms), whatever the session's join settings.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._delete_jobs_of_deleted_notifications()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM notifydb.delivery_outbox AS o
    WHERE o.notification_id = ANY(ARRAY(SELECT d.id FROM deleted_notifications AS d));
    RETURN NULL;
END
$$;
