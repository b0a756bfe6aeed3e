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
            n.inbox_key,
            pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(ROW(n.*)::notifydb.notifications, ROW(c.*)::notifydb.inbox_counters, 'unread')) AS unread,
            pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(ROW(n.*)::notifydb.notifications, ROW(c.*)::notifydb.inbox_counters, 'unseen')) AS unseen
        FROM notifydb.notifications AS n
        LEFT JOIN notifydb.inbox_counters AS c
            ON c.tenant_id = n.tenant_id AND c.inbox_key = n.inbox_key
        GROUP BY n.tenant_id, n.inbox_key
    )

    SELECT
        coalesce(k.tenant_id, r.tenant_id),
        nullif(coalesce(k.inbox_key, r.inbox_key), notifydb._inbox_key(NULL)),
        coalesce(k.unread, 0),
        coalesce(r.unread, 0),
        coalesce(k.unseen, 0),
        coalesce(r.unseen, 0)
    FROM notifydb.inbox_counters AS k
    FULL JOIN recount AS r ON r.tenant_id = k.tenant_id AND r.inbox_key = k.inbox_key
    WHERE coalesce(k.unread, 0) <> coalesce(r.unread, 0)
        OR coalesce(k.unseen, 0) <> coalesce(r.unseen, 0)
$$;

COMMENT ON FUNCTION notifydb._inbox_counter_drift() IS
'Private, for DBAs: every inbox whose unread or unseen counter differs from a recount of its notifications under its horizons (none, unless the triggers were bypassed). _rebuild_inbox_counters() repairs them.';

REVOKE ALL ON FUNCTION notifydb._inbox_counter_drift() FROM public;
