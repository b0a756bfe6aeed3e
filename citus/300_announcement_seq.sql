-- Announcements are sent by the node that changes the rows: a delegated call
-- runs on a worker, and its NOTIFY numbers payloads from a sequence there.
-- Citus copies a sequence to the workers only for a distributed table's
-- column default, so this creates it on each worker (a worker added later
-- gets it from the next migrate that applies citus/). Each worker's numbers
-- are its own: seq is unique per node, which is all it is for (schema/V0006).
DO $announcement_seq$
BEGIN
    PERFORM pg_catalog.run_command_on_workers(
        'CREATE SEQUENCE IF NOT EXISTS notifydb.announcement_seq AS bigint;'
        ' ALTER SEQUENCE notifydb.announcement_seq OWNER TO notifydb_owner'
    );
END
$announcement_seq$;
