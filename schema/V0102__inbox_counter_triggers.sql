-- Statement-level triggers that keep notifydb.inbox_counters exact. They
-- read the transition tables once per statement, add up one delta per inbox
-- and upsert those in (tenant_id, user_id) order, so concurrent statements
-- lock counter rows in the same order and cannot deadlock on them. They are
-- versioned, not repeatable, so that they and the first fill of the
-- counters are one transaction: no write can slip between the two.
SET LOCAL ROLE notifydb_owner;

CREATE FUNCTION notifydb._inbox_counters_after_insert()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, user_id, unread, unseen, unread_newest_at)
    SELECT
        r.tenant_id,
        r.user_id,
        pg_catalog.count(*) FILTER (WHERE NOT r.is_read AND r.deleted_at IS NULL),
        pg_catalog.count(*) FILTER (
            WHERE NOT r.is_read AND r.seen_at IS NULL AND r.deleted_at IS NULL
        ),
        pg_catalog.max(r.created_at) FILTER (WHERE NOT r.is_read AND r.deleted_at IS NULL)
    FROM new_rows AS r
    GROUP BY r.tenant_id, r.user_id
    ORDER BY r.tenant_id, r.user_id
    ON CONFLICT (tenant_id, user_id) DO UPDATE
    SET unread = c.unread + excluded.unread,
        unseen = c.unseen + excluded.unseen,
        unread_newest_at = GREATEST(c.unread_newest_at, excluded.unread_newest_at)
    WHERE excluded.unread <> 0 OR excluded.unseen <> 0;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_insert() IS
'Trigger: adds the unread and unseen rows of an INSERT statement to inbox_counters, one upsert per inbox.';

CREATE FUNCTION notifydb._inbox_counters_after_update()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- New states count +1, old states -1; a DBA's UPDATE that moves rows to
    -- another inbox is covered because each side is grouped by its own key.
    -- Rows unread after the update may raise unread_newest_at (an UPDATE of
    -- created_at changes no count but must still be seen here).
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
            (NOT r.is_read AND r.deleted_at IS NULL)::integer AS unread,
            (NOT r.is_read AND r.seen_at IS NULL AND r.deleted_at IS NULL)::integer AS unseen,
            CASE WHEN NOT r.is_read AND r.deleted_at IS NULL THEN r.created_at END AS unread_created_at
        FROM new_rows AS r
        UNION ALL
        SELECT
            r.tenant_id,
            r.user_id,
            -(NOT r.is_read AND r.deleted_at IS NULL)::integer,
            -(NOT r.is_read AND r.seen_at IS NULL AND r.deleted_at IS NULL)::integer,
            NULL
        FROM old_rows AS r
    ) AS d
    GROUP BY d.tenant_id, d.user_id
    HAVING
        pg_catalog.sum(d.unread) <> 0
        OR pg_catalog.sum(d.unseen) <> 0
        OR pg_catalog.max(d.unread_created_at) IS NOT NULL
    ORDER BY d.tenant_id, d.user_id
    ON CONFLICT (tenant_id, user_id) DO UPDATE
    SET unread = c.unread + excluded.unread,
        unseen = c.unseen + excluded.unseen,
        unread_newest_at = CASE
            WHEN c.unread + excluded.unread = 0 THEN NULL
            ELSE GREATEST(c.unread_newest_at, excluded.unread_newest_at)
        END;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_update() IS
'Trigger: applies the unread and unseen changes of an UPDATE statement to inbox_counters, one upsert per inbox.';

CREATE FUNCTION notifydb._inbox_counters_after_delete()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, user_id, unread, unseen)
    SELECT
        r.tenant_id,
        r.user_id,
        -pg_catalog.count(*) FILTER (WHERE NOT r.is_read AND r.deleted_at IS NULL),
        -pg_catalog.count(*) FILTER (
            WHERE NOT r.is_read AND r.seen_at IS NULL AND r.deleted_at IS NULL
        )
    FROM old_rows AS r
    GROUP BY r.tenant_id, r.user_id
    HAVING pg_catalog.count(*) FILTER (WHERE NOT r.is_read AND r.deleted_at IS NULL) > 0
    ORDER BY r.tenant_id, r.user_id
    ON CONFLICT (tenant_id, user_id) DO UPDATE
    SET unread = c.unread + excluded.unread,
        unseen = c.unseen + excluded.unseen,
        unread_newest_at = CASE WHEN c.unread + excluded.unread = 0 THEN NULL ELSE c.unread_newest_at END;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_delete() IS
'Trigger: subtracts the unread and unseen rows of a DELETE statement (e.g. a retention batch) from inbox_counters.';

CREATE FUNCTION notifydb._inbox_counters_after_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM notifydb.inbox_counters;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_truncate() IS
'Trigger: an emptied notifications table has empty inboxes.';

REVOKE ALL ON FUNCTION notifydb._inbox_counters_after_insert() FROM public;
REVOKE ALL ON FUNCTION notifydb._inbox_counters_after_update() FROM public;
REVOKE ALL ON FUNCTION notifydb._inbox_counters_after_delete() FROM public;
REVOKE ALL ON FUNCTION notifydb._inbox_counters_after_truncate() FROM public;

CREATE TRIGGER inbox_counters_after_insert
AFTER INSERT ON notifydb.notifications
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_insert();

CREATE TRIGGER inbox_counters_after_update
AFTER UPDATE ON notifydb.notifications
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_update();

CREATE TRIGGER inbox_counters_after_delete
AFTER DELETE ON notifydb.notifications
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_delete();

CREATE TRIGGER inbox_counters_after_truncate
AFTER TRUNCATE ON notifydb.notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_truncate();

COMMENT ON TRIGGER inbox_counters_after_insert ON notifydb.notifications IS
'Keeps inbox_counters exact for inserted rows (functions and bulk loads alike).';
COMMENT ON TRIGGER inbox_counters_after_update ON notifydb.notifications IS
'Keeps inbox_counters exact for read, unread, seen, soft-delete and any other update.';
COMMENT ON TRIGGER inbox_counters_after_delete ON notifydb.notifications IS
'Keeps inbox_counters exact under retention''s plain DELETEs.';
COMMENT ON TRIGGER inbox_counters_after_truncate ON notifydb.notifications IS
'Empties inbox_counters when notifications is truncated.';

-- The first fill, for a database that already holds notifications. SHARE
-- mode keeps writers out until this transaction has installed the triggers.
LOCK TABLE notifydb.notifications IN SHARE MODE;

INSERT INTO notifydb.inbox_counters (tenant_id, user_id, unread, unseen, unread_newest_at)
SELECT
    n.tenant_id,
    n.user_id,
    pg_catalog.count(*) FILTER (WHERE NOT n.is_read AND n.deleted_at IS NULL) AS unread,
    pg_catalog.count(*) FILTER (
        WHERE NOT n.is_read AND n.seen_at IS NULL AND n.deleted_at IS NULL
    ) AS unseen,
    pg_catalog.max(n.created_at) FILTER (WHERE NOT n.is_read AND n.deleted_at IS NULL) AS unread_newest_at
FROM notifydb.notifications AS n
GROUP BY n.tenant_id, n.user_id;
