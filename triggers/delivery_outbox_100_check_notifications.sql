-- Jobs come from the notifications insert trigger, in the same statement as
-- their notification; this keeps any other insert from making an orphan
-- (what a foreign key would check, once per statement instead of per row).
-- It copies its transition table into arrays first, for Citus (see
-- triggers/notifications_100_inbox_counters.sql).
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._check_jobs_have_notifications()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant_ids uuid[];
    v_notification_ids uuid[];
    v_shard_tenants uuid[];
    v_orphan uuid;
BEGIN
    SELECT pg_catalog.array_agg(j.tenant_id), pg_catalog.array_agg(j.notification_id)
    INTO v_tenant_ids, v_notification_ids
    FROM inserted_jobs AS j;
    IF v_notification_ids IS NULL THEN
        RETURN NULL;  -- the statement inserted nothing
    END IF;
    v_shard_tenants := notifydb._shard_tenants(v_tenant_ids);
    SELECT j.notification_id INTO v_orphan
    FROM ROWS FROM (pg_catalog.unnest(v_tenant_ids), pg_catalog.unnest(v_notification_ids))
        AS j (tenant_id, notification_id)
    LEFT JOIN (
        SELECT n.tenant_id, n.id
        FROM notifydb.notifications AS n
        WHERE v_shard_tenants IS NULL OR n.tenant_id = ANY(v_shard_tenants)
    ) AS n ON n.tenant_id = j.tenant_id AND n.id = j.notification_id
    WHERE n.id IS NULL
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
