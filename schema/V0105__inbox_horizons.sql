-- Read and seen horizons, and settled expiry, on the inbox counters.
--
-- mark_all_read of a heavy inbox rewrote every unread row: on the 5-million-
-- row benchmark 26,000 rows on as many heap pages, slower than the seed's
-- plain UPDATE. It (and mark_seen) now records "everything created up to T is
-- read (seen), as of A" on the inbox's counter row, and the functions read a
-- notification's state through it:
--     read    = is_read OR created_at <= read_horizon   (read_at: read_horizon_at)
--     seen    = read OR seen_at IS NOT NULL OR created_at <= seen_horizon
-- A horizon covers only rows that existed when it was set: a row created
-- below one (a backdated load, or a create that commits after a concurrent
-- mark_all_read) lowers it, and so does mark_unread of a row below it; the
-- rows between the old and the new horizon get their state written out.
--
-- expired_through: rows that had expired when their inbox was last counted
-- from scratch are left out of its counts, so readers subtract only the rows
-- that expired since (retention deletes the others).
--
-- The counter triggers count a row only when it is unread, not deleted, above
-- the read horizon and not settled as expired. Before an UPDATE's or a
-- DELETE's deltas are read off the horizons, the counters of the inboxes it
-- touches are locked in key order: the horizons read are then the latest and
-- stay put until this transaction ends. An INSERT counts its rows as lying
-- above the horizons (rows the functions create always do) and settles the
-- rare exceptions afterwards, under the locks its upsert took.
--
-- The triggers' statements take no parameters, so a session plans each one
-- once, for the transition-table sizes of its first call (often one row),
-- and keeps that plan for a 10,000-row fan-out too. They are written so that
-- any of their plans stays linear in the rows: each row finds its counter
-- by an index probe (LATERAL with LIMIT 1, which the
-- planner cannot flatten into a hash join that would scan every counter for
-- a one-row write), and one-row aggregates are MATERIALIZED rather than
-- re-run per row.
-- (A fan-out after a few single creates once took 20 s: the per-row re-run
-- of an aggregate over all 10,000 new rows.)
SET LOCAL ROLE notifydb_owner;

ALTER TABLE notifydb.inbox_counters
ADD COLUMN read_horizon timestamptz,
ADD COLUMN read_horizon_at timestamptz,
ADD COLUMN seen_horizon timestamptz,
ADD COLUMN seen_horizon_at timestamptz,
ADD COLUMN expired_through timestamptz,
ADD CONSTRAINT inbox_counters_read_horizon_has_time
CHECK ((read_horizon IS NULL) = (read_horizon_at IS NULL)),
ADD CONSTRAINT inbox_counters_seen_horizon_has_time
CHECK ((seen_horizon IS NULL) = (seen_horizon_at IS NULL));

COMMENT ON COLUMN notifydb.inbox_counters.unread IS
'Notifications that count as unread: NOT is_read, not deleted, created after read_horizon, and not expired by expired_through.';
COMMENT ON COLUMN notifydb.inbox_counters.unseen IS
'Notifications that count as unread (see unread) with seen_at NULL and created after seen_horizon.';
COMMENT ON COLUMN notifydb.inbox_counters.read_horizon IS
'mark_all_read: every notification of the inbox created up to this time is read, whatever its is_read says. NULL: none.';
COMMENT ON COLUMN notifydb.inbox_counters.read_horizon_at IS
'When read_horizon was set: the read_at of the notifications it reads.';
COMMENT ON COLUMN notifydb.inbox_counters.seen_horizon IS
'mark_seen: every notification of the inbox created up to this time is seen, whatever its seen_at says. NULL: none.';
COMMENT ON COLUMN notifydb.inbox_counters.seen_horizon_at IS
'When seen_horizon was set: the seen_at of the notifications it covers.';
COMMENT ON COLUMN notifydb.inbox_counters.expired_through IS
'Notifications that expire at or before this time are left out of unread and unseen (they had expired when the inbox was last counted from scratch). NULL: none.';

-- inbox_counters_inbox_key_idx (V0104) replaces the unique index on
-- (tenant_id, user_id) NULLS NOT DISTINCT: one equality on the inbox key
-- serves both kinds of inbox, also as the ON CONFLICT arbiter.
DROP INDEX notifydb.inbox_counters_inbox_idx;

-- Whether a notification counts as unread (or unseen) under its inbox's
-- horizons and settled expiry. Plain SQL, so the planner inlines them.
CREATE FUNCTION notifydb._counts_as_unread(
    p_row notifydb.notifications, p_read_horizon timestamptz, p_expired_through timestamptz
)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT NOT (p_row).is_read
        AND (p_row).deleted_at IS NULL
        AND (p_row).created_at > coalesce(p_read_horizon, '-infinity')
        AND coalesce((p_row).expires_at > p_expired_through, TRUE)
$$;

COMMENT ON FUNCTION notifydb._counts_as_unread(notifydb.notifications, timestamptz, timestamptz) IS
'Private: whether the notification counts in inbox_counters.unread, given its inbox''s read_horizon and expired_through.';

CREATE FUNCTION notifydb._counts_as_unseen(
    p_row notifydb.notifications,
    p_read_horizon timestamptz,
    p_seen_horizon timestamptz,
    p_expired_through timestamptz
)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT notifydb._counts_as_unread(p_row, p_read_horizon, p_expired_through)
        AND (p_row).seen_at IS NULL
        AND (p_row).created_at > coalesce(p_seen_horizon, '-infinity')
$$;

COMMENT ON FUNCTION notifydb._counts_as_unseen(notifydb.notifications, timestamptz, timestamptz, timestamptz) IS
'Private: whether the notification counts in inbox_counters.unseen, given its inbox''s horizons and expired_through.';

REVOKE ALL ON FUNCTION notifydb._counts_as_unread(notifydb.notifications, timestamptz, timestamptz) FROM public;
REVOKE ALL ON FUNCTION notifydb._counts_as_unseen(notifydb.notifications, timestamptz, timestamptz, timestamptz)
FROM public;


-- Locks the counter rows of the given inboxes (tenant_ids[i], user_ids[i]) in
-- the order given; callers sort them, so that every statement locks counters
-- in the same order and none can deadlock on them.
CREATE FUNCTION notifydb._lock_inbox_counters(p_tenant_ids uuid[], p_user_ids uuid[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM
    FROM ROWS FROM (pg_catalog.unnest(p_tenant_ids), pg_catalog.unnest(p_user_ids)) AS k (tenant_id, user_id)
    CROSS JOIN LATERAL (
        SELECT
        FROM notifydb.inbox_counters AS c
        WHERE c.tenant_id = k.tenant_id AND notifydb._inbox_key(c.user_id) = notifydb._inbox_key(k.user_id)
        FOR NO KEY UPDATE
    ) AS c;
END
$$;

COMMENT ON FUNCTION notifydb._lock_inbox_counters(uuid[], uuid[]) IS
'Private: locks the inbox_counters rows of the given (tenant_ids[i], user_ids[i]) inboxes, in that order.';

REVOKE ALL ON FUNCTION notifydb._lock_inbox_counters(uuid[], uuid[]) FROM public;

CREATE OR REPLACE FUNCTION notifydb._inbox_counters_after_insert()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_settle boolean;
BEGIN
    -- New rows count as if they lay above their inbox's horizons and expired
    -- after its expired_through, as every row the functions create does. The
    -- upsert returns each inbox's latest (locked) horizons, to tell whether
    -- some row is an exception: a DBA's backdated or already expired row, or
    -- a create that commits after a concurrent mark_all_read set a horizon.
    WITH upserted AS (
        INSERT INTO notifydb.inbox_counters AS c (tenant_id, user_id, unread, unseen, unread_newest_at)
        SELECT
            r.tenant_id,
            r.user_id,
            pg_catalog.count(*) FILTER (WHERE notifydb._counts_as_unread(r, NULL, NULL)),
            pg_catalog.count(*) FILTER (WHERE notifydb._counts_as_unseen(r, NULL, NULL, NULL)),
            pg_catalog.max(r.created_at) FILTER (WHERE notifydb._counts_as_unread(r, NULL, NULL))
        FROM new_rows AS r
        GROUP BY r.tenant_id, r.user_id
        ORDER BY r.tenant_id, notifydb._inbox_key(r.user_id)
        ON CONFLICT (tenant_id, notifydb._inbox_key(user_id)) DO UPDATE
        SET unread = c.unread + excluded.unread,
            unseen = c.unseen + excluded.unseen,
            unread_newest_at = greatest(c.unread_newest_at, excluded.unread_newest_at)
        WHERE excluded.unread <> 0 OR excluded.unseen <> 0
        RETURNING greatest(c.read_horizon, c.seen_horizon) AS horizon, c.expired_through
    ),

    counted AS MATERIALIZED (
        SELECT pg_catalog.min(r.created_at) AS oldest, pg_catalog.min(r.expires_at) AS first_to_expire
        FROM new_rows AS r
        WHERE NOT r.is_read AND r.deleted_at IS NULL
    )

    SELECT coalesce(pg_catalog.bool_or(u.horizon >= k.oldest OR u.expired_through >= k.first_to_expire), FALSE)
    INTO v_settle
    FROM upserted AS u, counted AS k;
    IF v_settle THEN
        PERFORM notifydb._settle_inserted_rows(pg_catalog.array_agg(r.id))
        FROM new_rows AS r
        WHERE NOT r.is_read AND r.deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_insert() IS
'Trigger: adds the unread and unseen rows of an INSERT statement to inbox_counters, one upsert per inbox; hands rows below a horizon or already expired to _settle_inserted_rows.';

CREATE OR REPLACE FUNCTION notifydb._inbox_counters_after_update()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Lock the counters of the inboxes with a row whose counted state may
    -- have moved (delivery bookkeeping, say, locks none); the next statement
    -- then reads their latest horizons by index. Rows pair up by id;
    -- one without a partner (a DBA changed an id) leaves its old inbox and
    -- joins its new one.
    PERFORM notifydb._lock_inbox_counters(
        pg_catalog.array_agg(k.tenant_id ORDER BY k.tenant_id, k.inbox_key),
        pg_catalog.array_agg(k.user_id ORDER BY k.tenant_id, k.inbox_key)
    )
    FROM (
        SELECT DISTINCT e.tenant_id, e.user_id, notifydb._inbox_key(e.user_id) AS inbox_key
        FROM old_rows AS o
        FULL JOIN new_rows AS n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.tenant_id, o.user_id), (n.tenant_id, n.user_id)) AS e (tenant_id, user_id)
        WHERE e.tenant_id IS NOT NULL
            AND (
                o.id IS NULL
                OR n.id IS NULL
                OR (o.tenant_id, o.user_id, o.is_read, o.seen_at IS NULL, o.deleted_at IS NULL, o.created_at, o.expires_at)
                IS DISTINCT FROM
                (n.tenant_id, n.user_id, n.is_read, n.seen_at IS NULL, n.deleted_at IS NULL, n.created_at, n.expires_at)
            )
    ) AS k;
    -- New states count +1, old states -1, each under its own inbox's
    -- (locked, so latest) horizons; unchanged rows cancel out.
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, user_id, unread, unseen, unread_newest_at)
    SELECT
        d.tenant_id,
        d.user_id,
        pg_catalog.sum(d.unread),
        pg_catalog.sum(d.unseen),
        pg_catalog.max(d.unread_created_at)
    FROM (
        SELECT
            r.tenant_id,
            r.user_id,
            notifydb._counts_as_unread(r, i.read_horizon, i.expired_through)::integer AS unread,
            notifydb._counts_as_unseen(r, i.read_horizon, i.seen_horizon, i.expired_through)::integer AS unseen,
            CASE
                WHEN notifydb._counts_as_unread(r, i.read_horizon, i.expired_through)
                    AND r.created_at > coalesce(i.unread_newest_at, '-infinity')
                    THEN r.created_at
            END AS unread_created_at
        FROM new_rows AS r
        LEFT JOIN LATERAL (
            SELECT i.read_horizon, i.seen_horizon, i.expired_through, i.unread_newest_at
            FROM notifydb.inbox_counters AS i
            WHERE i.tenant_id = r.tenant_id AND notifydb._inbox_key(i.user_id) = notifydb._inbox_key(r.user_id)
            LIMIT 1
        ) AS i ON TRUE
        UNION ALL
        SELECT
            r.tenant_id,
            r.user_id,
            -notifydb._counts_as_unread(r, i.read_horizon, i.expired_through)::integer,
            -notifydb._counts_as_unseen(r, i.read_horizon, i.seen_horizon, i.expired_through)::integer,
            NULL
        FROM old_rows AS r
        LEFT JOIN LATERAL (
            SELECT i.read_horizon, i.seen_horizon, i.expired_through, i.unread_newest_at
            FROM notifydb.inbox_counters AS i
            WHERE i.tenant_id = r.tenant_id AND notifydb._inbox_key(i.user_id) = notifydb._inbox_key(r.user_id)
            LIMIT 1
        ) AS i ON TRUE
    ) AS d
    GROUP BY d.tenant_id, d.user_id
    HAVING
        pg_catalog.sum(d.unread) <> 0
        OR pg_catalog.sum(d.unseen) <> 0
        OR pg_catalog.max(d.unread_created_at) IS NOT NULL
    ORDER BY d.tenant_id, notifydb._inbox_key(d.user_id)
    ON CONFLICT (tenant_id, notifydb._inbox_key(user_id)) DO UPDATE
    SET unread = c.unread + excluded.unread,
        unseen = c.unseen + excluded.unseen,
        unread_newest_at = CASE
            WHEN c.unread + excluded.unread = 0 THEN NULL
            ELSE greatest(c.unread_newest_at, excluded.unread_newest_at)
        END;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_update() IS
'Trigger: applies the unread and unseen changes of an UPDATE statement to inbox_counters, one upsert per inbox whose counts moved.';

CREATE OR REPLACE FUNCTION notifydb._inbox_counters_after_delete()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Only a row that is unread and not deleted can count; retention's
    -- batches of old read rows lock few counters.
    PERFORM notifydb._lock_inbox_counters(
        pg_catalog.array_agg(k.tenant_id ORDER BY k.tenant_id, k.inbox_key),
        pg_catalog.array_agg(k.user_id ORDER BY k.tenant_id, k.inbox_key)
    )
    FROM (
        SELECT DISTINCT r.tenant_id, r.user_id, notifydb._inbox_key(r.user_id) AS inbox_key
        FROM old_rows AS r
        WHERE NOT r.is_read AND r.deleted_at IS NULL
    ) AS k;
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, user_id, unread, unseen)
    SELECT
        r.tenant_id,
        r.user_id,
        -pg_catalog.count(*) FILTER (WHERE notifydb._counts_as_unread(r, i.read_horizon, i.expired_through)),
        -pg_catalog.count(*) FILTER (
            WHERE notifydb._counts_as_unseen(r, i.read_horizon, i.seen_horizon, i.expired_through)
        )
    FROM old_rows AS r
    LEFT JOIN LATERAL (
        SELECT i.read_horizon, i.seen_horizon, i.expired_through
        FROM notifydb.inbox_counters AS i
        WHERE i.tenant_id = r.tenant_id AND notifydb._inbox_key(i.user_id) = notifydb._inbox_key(r.user_id)
        LIMIT 1
    ) AS i ON TRUE
    WHERE NOT r.is_read AND r.deleted_at IS NULL
    GROUP BY r.tenant_id, r.user_id
    HAVING pg_catalog.count(*) FILTER (WHERE notifydb._counts_as_unread(r, i.read_horizon, i.expired_through)) > 0
    ORDER BY r.tenant_id, notifydb._inbox_key(r.user_id)
    ON CONFLICT (tenant_id, notifydb._inbox_key(user_id)) DO UPDATE
    SET unread = c.unread + excluded.unread,
        unseen = c.unseen + excluded.unseen,
        unread_newest_at = CASE WHEN c.unread + excluded.unread = 0 THEN NULL ELSE c.unread_newest_at END;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_delete() IS
'Trigger: subtracts the unread and unseen rows of a DELETE statement (e.g. a retention batch) from inbox_counters.';
