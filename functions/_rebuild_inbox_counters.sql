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
    -- Horizons are state, not counts: they stay.
    UPDATE notifydb.inbox_counters
    SET unread = 0, unseen = 0, unread_newest_at = NULL;
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, inbox_key, unread, unseen, unread_newest_at)
    SELECT
        n.tenant_id,
        n.inbox_key,
        pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(ROW(n.*)::notifydb.notifications, ROW(h.*)::notifydb.inbox_counters, 'unread')),
        pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(ROW(n.*)::notifydb.notifications, ROW(h.*)::notifydb.inbox_counters, 'unseen')),
        pg_catalog.max(n.created_at) FILTER (WHERE notifydb._is_counted(ROW(n.*)::notifydb.notifications, ROW(h.*)::notifydb.inbox_counters, 'unread'))
    FROM notifydb.notifications AS n
    LEFT JOIN notifydb.inbox_counters AS h
        ON h.tenant_id = n.tenant_id AND h.inbox_key = n.inbox_key
    GROUP BY n.tenant_id, n.inbox_key
    ON CONFLICT (tenant_id, inbox_key) DO UPDATE
    SET unread = excluded.unread,
        unseen = excluded.unseen,
        unread_newest_at = excluded.unread_newest_at;
    GET DIAGNOSTICS v_inboxes = ROW_COUNT;
    RETURN v_inboxes;
END
$$;

COMMENT ON FUNCTION notifydb._rebuild_inbox_counters() IS
'Private, for DBAs: recounts inbox_counters from the notifications (e.g. after loading with triggers disabled), keeping every inbox''s read and seen horizons. Returns the number of inboxes with notifications.';

REVOKE ALL ON FUNCTION notifydb._rebuild_inbox_counters() FROM public;
