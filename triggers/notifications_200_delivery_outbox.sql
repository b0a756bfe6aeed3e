-- The outbox follows its notifications: one SEND_NOTIFICATION job per e-mail
-- or push notification, in the statement (hence the transaction) that
-- inserted it, and no job once its notification is gone. Statement triggers
-- with transition tables cost one set-based statement per statement, so a
-- fan-out of 10,000 rows or a retention batch of 5,000 runs no per-row
-- trigger (a foreign key's ON DELETE CASCADE fires once per deleted row: 34
-- ms of a 51 ms retention batch on the 5-million-row benchmark). They fire
-- after the inbox counters' triggers (notifications_100_*). Like those, they
-- copy their transition tables into arrays first, for Citus.
SET LOCAL ROLE notifydb_owner;

-- A deduplicated insert (ON CONFLICT DO NOTHING) adds no row and so no job.
-- Most notifications are in_app: returning early spares them an INSERT of no
-- rows, whose statement would still start a ModifyTable and fire the outbox's
-- own statement trigger.
CREATE OR REPLACE FUNCTION notifydb._enqueue_deliveries()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids uuid[];
    v_tenant_ids uuid[];
    v_user_ids uuid[];
    v_channels text[];
BEGIN
    SELECT
        pg_catalog.array_agg(n.id),
        pg_catalog.array_agg(n.tenant_id),
        pg_catalog.array_agg(n.user_id),
        pg_catalog.array_agg(n.channel)
    INTO v_ids, v_tenant_ids, v_user_ids, v_channels
    FROM inserted_notifications AS n
    WHERE n.channel IN ('email', 'push');
    IF v_ids IS NULL THEN
        RETURN NULL;  -- in-app rows only: no job, and no empty insert into the outbox
    END IF;
    INSERT INTO notifydb.delivery_outbox (notification_id, tenant_id, user_id, channel)
    SELECT n.id, n.tenant_id, n.user_id, n.channel
    FROM ROWS FROM (
        pg_catalog.unnest(v_ids), pg_catalog.unnest(v_tenant_ids), pg_catalog.unnest(v_user_ids),
        pg_catalog.unnest(v_channels)
    ) AS n (id, tenant_id, user_id, channel);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._enqueue_deliveries() IS
'Trigger function (AFTER INSERT, per statement) on notifications: writes a SEND_NOTIFICATION outbox job for each inserted email or push row. Private.';

-- An array of the deleted ids makes this one index probe per id, bounded by
-- the batch; a join to the transition table let the planner choose a merge
-- join that walked the outbox's whole notification_id index.
CREATE OR REPLACE FUNCTION notifydb._delete_jobs_of_deleted_notifications()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shard_tenants uuid[];
    v_ids uuid[];
BEGIN
    SELECT notifydb._shard_tenants(pg_catalog.array_agg(d.tenant_id)), pg_catalog.array_agg(d.id)
    INTO v_shard_tenants, v_ids
    FROM deleted_notifications AS d;
    IF v_ids IS NULL THEN
        RETURN NULL;  -- the statement deleted nothing
    END IF;
    DELETE FROM notifydb.delivery_outbox AS o
    WHERE o.notification_id = ANY(v_ids)
        AND (v_shard_tenants IS NULL OR o.tenant_id = ANY(v_shard_tenants));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._delete_jobs_of_deleted_notifications() IS
'Trigger function (AFTER DELETE, per statement) on notifications: deletes the outbox jobs of the deleted rows. Private.';

CREATE OR REPLACE FUNCTION notifydb._delete_all_jobs()
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

REVOKE ALL ON FUNCTION notifydb._enqueue_deliveries() FROM public;
REVOKE ALL ON FUNCTION notifydb._delete_jobs_of_deleted_notifications() FROM public;
REVOKE ALL ON FUNCTION notifydb._delete_all_jobs() FROM public;

CREATE OR REPLACE TRIGGER notifications_200_enqueue_deliveries
AFTER INSERT ON notifydb.notifications
REFERENCING NEW TABLE AS inserted_notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._enqueue_deliveries();

CREATE OR REPLACE TRIGGER notifications_200_delete_jobs
AFTER DELETE ON notifydb.notifications
REFERENCING OLD TABLE AS deleted_notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._delete_jobs_of_deleted_notifications();

CREATE OR REPLACE TRIGGER notifications_200_delete_all_jobs
AFTER TRUNCATE ON notifydb.notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._delete_all_jobs();

COMMENT ON TRIGGER notifications_200_enqueue_deliveries ON notifydb.notifications IS
'Transactional outbox: every email/push notification gets its delivery job in the same transaction.';
COMMENT ON TRIGGER notifications_200_delete_jobs ON notifydb.notifications IS
'Deleting a notification (retention) deletes its delivery job, one statement per statement.';
COMMENT ON TRIGGER notifications_200_delete_all_jobs ON notifydb.notifications IS
'Truncating notifications empties the delivery outbox.';
