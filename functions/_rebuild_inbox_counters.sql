SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._rebuild_inbox_counters()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_inboxes bigint;
BEGIN
    -- SHARE mode: readers go on (they see the old counters until commit),
    -- writers wait, so no change slips between the count and the swap.
    LOCK TABLE notifydb.notifications IN SHARE MODE;
    DELETE FROM notifydb.inbox_counters;
    INSERT INTO notifydb.inbox_counters (tenant_id, user_id, unread, unseen, unread_newest_at)
    SELECT
        n.tenant_id,
        n.user_id,
        pg_catalog.count(*) FILTER (WHERE NOT n.is_read AND n.deleted_at IS NULL),
        pg_catalog.count(*) FILTER (
            WHERE NOT n.is_read AND n.seen_at IS NULL AND n.deleted_at IS NULL
        ),
        pg_catalog.max(n.created_at) FILTER (WHERE NOT n.is_read AND n.deleted_at IS NULL)
    FROM notifydb.notifications AS n
    GROUP BY n.tenant_id, n.user_id;
    GET DIAGNOSTICS v_inboxes = ROW_COUNT;
    RETURN v_inboxes;
END
$$;

COMMENT ON FUNCTION notifydb._rebuild_inbox_counters() IS
'Private, for DBAs: recomputes inbox_counters from scratch (e.g. after loading with triggers disabled). Returns the number of inboxes.';

REVOKE ALL ON FUNCTION notifydb._rebuild_inbox_counters() FROM public;
