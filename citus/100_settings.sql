-- Settings the Citus layout needs in every session of this database, set as
-- the database's defaults (and for the rest of this run's scripts, each of
-- which starts from the session's own settings).
--
-- citus.enable_unsafe_triggers: Citus refuses triggers on distributed tables
-- unless told that they only touch rows colocated with the row that fired
-- them. notifydb's do: each trigger touches the counters and jobs of the
-- tenant of its rows (triggers/), which live on the same worker.
DO $settings$
BEGIN
    EXECUTE pg_catalog.format(
        'ALTER DATABASE %I SET citus.enable_unsafe_triggers = on', pg_catalog.current_database()
    );
END
$settings$;
