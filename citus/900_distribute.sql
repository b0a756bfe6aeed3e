-- The Citus layout (docs/citus.md): applied after every other script, and
-- only on a Citus coordinator. Each step is skipped when done, so a run
-- that finds this file changed distributes only what is new.
--
-- Tenant-owned tables are hash-distributed by tenant_id and colocated, so a
-- tenant's notifications, counters and jobs live on one worker; the policy
-- tables are reference tables (a copy on every node); admin_system_events
-- stays on the coordinator (docs/citus.md gives the figures).
SET LOCAL ROLE notifydb_owner;
-- The database has it (citus/100_settings.sql), but not this run's session.
SELECT pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', TRUE);
-- Functions are created on the workers over connections of their own, which
-- must see the shards this transaction created: one connection per worker.
SELECT pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', TRUE);

DO $distribute$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['notifydb.retention_policy', 'notifydb.delivery_policy'] LOOP
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_dist_partition AS p WHERE p.logicalrelid = v_table::regclass
        ) THEN
            PERFORM pg_catalog.create_reference_table(v_table);
        END IF;
    END LOOP;
    FOREACH v_table IN ARRAY ARRAY[
        'notifydb.notifications', 'notifydb.inbox_counters', 'notifydb.delivery_outbox'
    ] LOOP
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_dist_partition AS p WHERE p.logicalrelid = v_table::regclass
        ) THEN
            PERFORM pg_catalog.create_distributed_table(
                v_table, 'tenant_id', colocate_with => CASE WHEN v_table = 'notifydb.notifications' THEN 'default' ELSE 'notifydb.notifications' END
            );
        END IF;
    END LOOP;
END
$distribute$;

-- Citus creates a function on the workers with the CREATE FUNCTION, unless
-- it depends on a table Citus does not manage yet: those of the functions
-- called on the workers follow here, now that their tables are distributed.
-- What reads admin_system_events runs on the coordinator only.
DO $propagate$
DECLARE
    v_routine regprocedure;
BEGIN
    FOR v_routine IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 'notifydb'::regnamespace
            AND p.prosrc NOT LIKE '%admin_system_events%'
            AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_dist_object AS o
                WHERE o.classid = 'pg_catalog.pg_proc'::regclass AND o.objid = p.oid
            )
        ORDER BY p.oid
    LOOP
        PERFORM pg_catalog.create_distributed_function(v_routine);
    END LOOP;
END
$propagate$;

-- Every per-tenant function runs where its tenant's rows are: Citus sends a
-- call to the worker that holds p_tenant_id's shard, in one round trip, and
-- the statements inside it run there against that shard alone.
DO $delegate$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 'notifydb'::regnamespace
            AND p.proname = ANY(ARRAY[
                'create_notification',
                'fan_out_notification',
                'list_notifications',
                'mark_read',
                'mark_unread',
                'mark_all_read',
                'mark_seen',
                'delete_notifications',
                'unread_count',
                'unseen_count'
            ])
            AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_dist_object AS o
                WHERE o.classid = 'pg_catalog.pg_proc'::regclass
                    AND o.objid = p.oid
                    AND o.distribution_argument_index IS NOT NULL
            )
        ORDER BY p.proname
    LOOP
        PERFORM pg_catalog.create_distributed_function(
            v_function, distribution_arg_name => 'p_tenant_id', colocate_with => 'notifydb.notifications'
        );
    END LOOP;
END
$delegate$;
