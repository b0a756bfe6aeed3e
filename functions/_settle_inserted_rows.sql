SET LOCAL ROLE notifydb_owner;

-- The insert trigger counted new rows as lying above their inbox's horizons
-- and expiring after its expired_through. For the rare rows that do not (a
-- DBA's backdated or already expired rows, or a create that commits after a
-- concurrent mark_all_read set a horizon), this makes the counts true: rows
-- expired by expired_through leave them, and a horizon above a new row goes
-- below it, so the row is unread as created. The trigger's upsert holds the
-- counters' locks.
CREATE OR REPLACE FUNCTION notifydb._settle_inserted_rows(p_ids uuid[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_inbox record;
BEGIN
    FOR v_inbox IN
        SELECT
            n.tenant_id,
            n.user_id,
            pg_catalog.array_agg(n.id) AS ids,
            pg_catalog.count(*) FILTER (WHERE n.expires_at <= c.expired_through) AS settled_unread,
            pg_catalog.count(*) FILTER (WHERE n.expires_at <= c.expired_through AND n.seen_at IS NULL) AS settled_unseen,
            pg_catalog.min(n.created_at) FILTER (
                WHERE n.created_at <= greatest(c.read_horizon, c.seen_horizon)
                    AND coalesce(n.expires_at > c.expired_through, TRUE)
            ) AS oldest_below_horizon
        FROM notifydb.notifications AS n
        INNER JOIN notifydb.inbox_counters AS c
            ON c.tenant_id = n.tenant_id AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(n.user_id)
        WHERE n.id = ANY(p_ids)
        GROUP BY n.tenant_id, n.user_id
        ORDER BY n.tenant_id, notifydb._inbox_key(n.user_id)
    LOOP
        IF v_inbox.settled_unread > 0 THEN
            UPDATE notifydb.inbox_counters AS c
            SET unread = c.unread - v_inbox.settled_unread,
                unseen = c.unseen - v_inbox.settled_unseen
            WHERE c.tenant_id = v_inbox.tenant_id AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(v_inbox.user_id);
        END IF;
        IF v_inbox.oldest_below_horizon IS NOT NULL THEN
            PERFORM notifydb._lower_read_horizon(
                v_inbox.tenant_id, v_inbox.user_id, v_inbox.oldest_below_horizon, v_inbox.ids
            );
            PERFORM notifydb._lower_seen_horizon(
                v_inbox.tenant_id, v_inbox.user_id, v_inbox.oldest_below_horizon, v_inbox.ids
            );
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION notifydb._settle_inserted_rows(uuid[]) IS
'Private, for the insert trigger: makes the counts true for new unread rows (p_ids) that lie below a horizon or expired by expired_through.';

REVOKE ALL ON FUNCTION notifydb._settle_inserted_rows(uuid[]) FROM public;
