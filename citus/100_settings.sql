-- Settings the Citus layout needs in every session of this database, set as
-- the database's defaults (and for the rest of this run's scripts, each of
-- which starts from the session's own settings).
--
-- citus.enable_unsafe_triggers: Citus refuses triggers on distributed tables
-- unless told that they only touch rows colocated with the row that fired
-- them. notifydb's do: each trigger touches the counters and jobs of the
-- tenant of its rows (triggers/), which live on the same worker.
--
-- citus.multi_shard_modify_mode = sequential: a statement that writes several
-- shards (a DBA's bulk load, retention's batches) otherwise writes the shards
-- of one worker over parallel connections, and their counter triggers, which
-- pass rows to Citus as intermediate results named after the transaction,
-- overwrite each other's ("COPY file signature not recognized"). Sequential,
-- a worker's shards are written one after the other (the workers still in
-- parallel). A per-tenant call writes one shard and is not affected.
DO $settings$
BEGIN
    EXECUTE pg_catalog.format(
        'ALTER DATABASE %I SET citus.enable_unsafe_triggers = on', pg_catalog.current_database()
    );
    EXECUTE pg_catalog.format(
        'ALTER DATABASE %I SET citus.multi_shard_modify_mode = sequential', pg_catalog.current_database()
    );
END
$settings$;
