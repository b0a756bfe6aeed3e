-- Schedules (or reschedules) the pg_cron job that runs notifydb retention.
-- For DBAs who prefer psql to `python runner.py schedule`; `migrate` never
-- runs this file. Run it in the database pg_cron lives in (cron.database_name)
-- as the LOGIN role the job should run as (see retention/README.md):
--
--     psql -d <cron.database_name> -v notifydb_database=<notifydb database> \
--         [-v schedule='*/30 * * * *'] -f retention/cron/schedule_retention.sql
--
-- notifydb_database defaults to the database psql is connected to, which
-- must then hold notifydb (the script refuses otherwise, rather than
-- schedule a job that can only fail). The schedule defaults to hourly.
-- Running it again leaves one job (pg_cron upserts by job name and user);
-- run it with another schedule to change the schedule. Without pg_cron in
-- the database psql is connected to, it stops with one line saying what to
-- do, before changing anything.
\set ON_ERROR_STOP on
\set SHOW_CONTEXT never
\if :{?notifydb_database}
\else
\set notifydb_database ''
\endif
\if :{?schedule}
\else
\set schedule '0 * * * *'
\endif

BEGIN;

-- psql variables do not reach into a DO block; settings (for this
-- transaction only) do.
SELECT
    pg_catalog.set_config('notifydb.schedule_database', :'notifydb_database', TRUE) AS notifydb_database,
    pg_catalog.set_config('notifydb.schedule', :'schedule', TRUE) AS schedule
\gset

DO $schedule$
DECLARE
    v_database text := coalesce(
        nullif(pg_catalog.current_setting('notifydb.schedule_database'), ''), pg_catalog.current_database()
    );
    v_schedule text := pg_catalog.current_setting('notifydb.schedule');
    v_job_name text := 'notifydb-retention';
    v_command text := 'CALL notifydb.run_retention()';
    v_job_id bigint;
    v_cron_database text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron') THEN
        BEGIN
            -- Set only when pg_cron is preloaded; readable by superusers and pg_read_all_settings.
            v_cron_database := pg_catalog.current_setting('cron.database_name', TRUE);
        EXCEPTION WHEN insufficient_privilege THEN
            v_cron_database := '(see SHOW cron.database_name as a superuser)';
        END;
        IF v_cron_database IS NULL THEN
            RAISE EXCEPTION 'pg_cron is not loaded on this server: add pg_cron to shared_preload_libraries, '
                'set cron.database_name, restart, CREATE EXTENSION pg_cron in that database and run this file '
                'there (or schedule `python runner.py retention` with cron instead)'
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RAISE EXCEPTION 'pg_cron is not installed in database %: run this file in the database pg_cron lives in, '
            'cron.database_name = %, with -v notifydb_database=% (and CREATE EXTENSION pg_cron there first '
            'if it is missing)', pg_catalog.current_database(), v_cron_database, v_database
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF v_database = pg_catalog.current_database() THEN
        -- From the catalogs: to_regprocedure() fails without USAGE on the schema.
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_proc AS p
            INNER JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
            WHERE n.nspname = 'notifydb' AND p.proname = 'run_retention' AND p.pronargs = 0
        ) THEN
            RAISE EXCEPTION 'notifydb.run_retention() does not exist in database %', v_database
                USING ERRCODE = 'undefined_function',
                    HINT = 'Pass -v notifydb_database=<the notifydb database> when pg_cron lives in another '
                    'database, or run `python runner.py migrate` first.';
        END IF;
        -- cron.schedule is what an unprivileged role may call;
        -- cron.schedule_in_database needs a GRANT EXECUTE from a superuser.
        v_job_id := cron.schedule(v_job_name, v_schedule, v_command);
    ELSE
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_database AS d WHERE d.datname = v_database) THEN
            RAISE EXCEPTION 'database % does not exist', v_database
                USING ERRCODE = 'invalid_catalog_name';
        END IF;
        v_job_id := cron.schedule_in_database(v_job_name, v_schedule, v_command, v_database);
    END IF;
    RAISE NOTICE 'pg_cron job % (jobid %): % % in database % as %',
        v_job_name, v_job_id, v_schedule, v_command, v_database, current_user;
END
$schedule$;

COMMIT;
