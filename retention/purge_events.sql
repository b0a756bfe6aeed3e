SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE PROCEDURE notifydb.purge_events(
    p_batch_size integer DEFAULT 5000,
    p_max_batches integer DEFAULT NULL,
    INOUT p_deleted bigint DEFAULT NULL,
    p_now timestamptz DEFAULT pg_catalog.now()
)
LANGUAGE plpgsql
AS $$
BEGIN
    CALL notifydb._purge_in_batches('events', p_batch_size, p_max_batches, p_deleted, p_now);
END
$$;

COMMENT ON PROCEDURE notifydb.purge_events (integer, integer, bigint, timestamptz) IS
'Deletes events whose last activity (latest of created_at, last_seen_at, resolved_at) is older than event_max_age (as of p_now), p_batch_size rows per committed batch; p_deleted returns how many. Skips (NOTICE) when another run holds the lock or on a hot standby. CALL it outside a transaction block.';

REVOKE ALL ON PROCEDURE notifydb.purge_events(integer, integer, bigint, timestamptz) FROM public;
GRANT EXECUTE ON PROCEDURE notifydb.purge_events(integer, integer, bigint, timestamptz) TO notifydb_retention;
