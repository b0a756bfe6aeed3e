SET LOCAL ROLE notifydb_owner;

-- What the pg_cron job calls. Both purges share one "now", so a run is one
-- consistent cut however long it takes.
CREATE OR REPLACE PROCEDURE notifydb.run_retention()
LANGUAGE plpgsql
AS $$
DECLARE
    v_now timestamptz := pg_catalog.now();
    v_notifications bigint;
    v_events bigint;
BEGIN
    CALL notifydb.purge_notifications(p_deleted => v_notifications, p_now => v_now);
    CALL notifydb.purge_events(p_deleted => v_events, p_now => v_now);
    RAISE NOTICE 'run_retention: deleted % notifications and % events', v_notifications, v_events;
END
$$;

COMMENT ON PROCEDURE notifydb.run_retention () IS
'Runs purge_notifications and then purge_events with default batch sizes and one shared now; the procedure the pg_cron job calls. CALL it outside a transaction block.';

REVOKE ALL ON PROCEDURE notifydb.run_retention() FROM public;
GRANT EXECUTE ON PROCEDURE notifydb.run_retention() TO notifydb_retention;
