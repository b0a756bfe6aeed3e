SET LOCAL ROLE notifydb_owner;

-- For DBAs and the tests: the counters must always equal a recount of the
-- rows under the inboxes' horizons; this lists every inbox where they do not.
CREATE OR REPLACE FUNCTION notifydb._inbox_counter_drift()
RETURNS TABLE (
    tenant_id uuid,
    user_id uuid,
    unread bigint,
    unread_recounted bigint,
    unseen bigint,
    unseen_recounted bigint
)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH recount AS (
        SELECT
            n.tenant_id,
            notifydb._inbox_key(n.user_id) AS inbox_key,
            n.user_id,
            pg_catalog.count(*) FILTER (
                WHERE notifydb._counts_as_unread(n, c.read_horizon, c.expired_through)
            ) AS unread,
            pg_catalog.count(*) FILTER (
                WHERE notifydb._counts_as_unseen(n, c.read_horizon, c.seen_horizon, c.expired_through)
            ) AS unseen
        FROM notifydb.notifications AS n
        LEFT JOIN notifydb.inbox_counters AS c
            ON c.tenant_id = n.tenant_id
                AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(n.user_id)
        GROUP BY n.tenant_id, n.user_id
    ),

    kept AS (
        SELECT
            c.tenant_id,
            notifydb._inbox_key(c.user_id) AS inbox_key,
            c.user_id,
            c.unread,
            c.unseen
        FROM notifydb.inbox_counters AS c
    )

    SELECT
        coalesce(k.tenant_id, r.tenant_id),
        coalesce(k.user_id, r.user_id),
        coalesce(k.unread, 0),
        coalesce(r.unread, 0),
        coalesce(k.unseen, 0),
        coalesce(r.unseen, 0)
    FROM kept AS k
    FULL JOIN recount AS r ON r.tenant_id = k.tenant_id AND r.inbox_key = k.inbox_key
    WHERE coalesce(k.unread, 0) <> coalesce(r.unread, 0)
        OR coalesce(k.unseen, 0) <> coalesce(r.unseen, 0)
$$;

COMMENT ON FUNCTION notifydb._inbox_counter_drift() IS
'Private, for DBAs: every inbox whose unread or unseen counter differs from a recount of its notifications under its horizons (none, unless the triggers were bypassed). _rebuild_inbox_counters() repairs them.';

REVOKE ALL ON FUNCTION notifydb._inbox_counter_drift() FROM public;
