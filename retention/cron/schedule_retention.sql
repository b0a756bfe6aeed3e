-- Schedules (or reschedules) the pg_cron job that runs notifydb retention.
-- For DBAs who prefer psql to `python runner.py schedule`; `migrate` never
-- runs this file. Run it in the database pg_cron lives in (cron.database_name)
-- as the LOGIN role the job should run as (see retention/README.md):
--
--     psql -d <cron.database_name> -f retention/cron/schedule_retention.sql
--
-- Running it again leaves one job (pg_cron upserts by job name and user);
-- edit v_schedule and run it again to change the schedule.
DO $schedule$
DECLARE
    -- The database notifydb lives in; put its name here when it is not the
    -- database pg_cron lives in.
    v_database text := pg_catalog.current_database();
    v_schedule text := '0 * * * *';  -- hourly
    v_job_name text := 'notifydb-retention';
    v_command text := 'CALL notifydb.run_retention()';
    v_job_id bigint;
BEGIN
    -- cron.schedule is what an unprivileged role may call;
    -- cron.schedule_in_database needs a GRANT EXECUTE from a superuser.
    IF v_database = pg_catalog.current_database() THEN
        v_job_id := cron.schedule(v_job_name, v_schedule, v_command);
    ELSE
        v_job_id := cron.schedule_in_database(v_job_name, v_schedule, v_command, v_database);
    END IF;
    RAISE NOTICE 'pg_cron job % (jobid %): % % in database % as %',
        v_job_name, v_job_id, v_schedule, v_command, v_database, current_user;
END
$schedule$;
