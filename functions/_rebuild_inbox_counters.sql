SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._rebuild_inbox_counters()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := pg_catalog.now();
    v_inboxes bigint;
BEGIN
    -- SHARE mode: readers go on (they see the old counters until commit),
    -- writers wait, so no change slips between the count and the swap.
    LOCK TABLE notifydb.notifications IN SHARE MODE;
    -- Horizons are state, not counts: they stay. Rows expired by now are
    -- settled (expired_through), so readers later subtract only the rows
    -- that expire after this.
    UPDATE notifydb.inbox_counters
    SET unread = 0, unseen = 0, unread_newest_at = NULL, expired_through = v_now;
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, user_id, unread, unseen, unread_newest_at, expired_through)
    SELECT
        n.tenant_id,
        n.user_id,
        pg_catalog.count(*) FILTER (WHERE notifydb._counts_as_unread(n, h.read_horizon, v_now)),
        pg_catalog.count(*) FILTER (WHERE notifydb._counts_as_unseen(n, h.read_horizon, h.seen_horizon, v_now)),
        pg_catalog.max(n.created_at) FILTER (WHERE notifydb._counts_as_unread(n, h.read_horizon, v_now)),
        v_now
    FROM notifydb.notifications AS n
    LEFT JOIN notifydb.inbox_counters AS h
        ON h.tenant_id = n.tenant_id
            AND notifydb._inbox_key(h.user_id) = notifydb._inbox_key(n.user_id)
    GROUP BY n.tenant_id, n.user_id
    ON CONFLICT (tenant_id, notifydb._inbox_key(user_id)) DO UPDATE
    SET unread = excluded.unread,
        unseen = excluded.unseen,
        unread_newest_at = excluded.unread_newest_at;
    GET DIAGNOSTICS v_inboxes = ROW_COUNT;
    RETURN v_inboxes;
END
$$;

COMMENT ON FUNCTION notifydb._rebuild_inbox_counters() IS
'Private, for DBAs: recounts inbox_counters from the notifications (e.g. after loading with triggers disabled), keeping every inbox''s read and seen horizons and settling the rows expired by now. Returns the number of inboxes with notifications.';

REVOKE ALL ON FUNCTION notifydb._rebuild_inbox_counters() FROM public;
