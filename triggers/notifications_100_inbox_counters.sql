-- Statement-level triggers that keep notifydb.inbox_counters exact under
-- every write to notifications: the functions, retention's DELETEs and a
-- DBA's bulk loads. Each reads its transition tables once per statement and
-- applies one delta per inbox under notifydb._is_counted, the one statement
-- of the read and seen rule; counters are locked in (tenant_id, inbox_key)
-- order, the lock order of functions/_lock_inbox.sql. They fire before the
-- outbox's triggers (notifications_200_*).
--
-- A session plans each trigger statement once, for the transition-table
-- sizes of its first call (often one row), and keeps that plan for a
-- 10,000-row fan-out too. So any of their plans must stay linear in the
-- rows: each row finds its counter by an index probe (LATERAL with LIMIT 1,
-- which the planner cannot flatten into a hash join over every counter),
-- and one-row aggregates are MATERIALIZED rather than re-run per row.
--
-- Each first copies its transition tables into arrays and reads those: on
-- Citus (docs/citus.md) a statement on a distributed table is planned apart
-- from the trigger, where the transition table cannot be found. Counter
-- lookups also name the statement's tenants on Citus (functions/_shard_tenants.sql).
SET LOCAL ROLE notifydb_owner;

-- Rows count as they would above their inbox's horizons, as every row the
-- functions create does; the upsert locks the counters and returns their
-- horizons, to tell whether some row lies below one after all (a DBA's
-- backdated row, or a create that commits after a concurrent mark_all_read
-- set a horizon). Such a horizon goes below the row, its rows written out,
-- so the row is unread and unseen as inserted.
CREATE OR REPLACE FUNCTION notifydb._inbox_counters_after_insert()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_new notifydb.notifications[];
    v_below_a_horizon boolean;
    v_inbox record;
    v_counters notifydb.inbox_counters;
BEGIN
    SELECT pg_catalog.array_agg(ROW(r.*)::notifydb.notifications) INTO v_new FROM new_rows AS r;
    IF v_new IS NULL THEN
        RETURN NULL;  -- the statement inserted nothing
    END IF;
    WITH upserted AS (
        INSERT INTO notifydb.inbox_counters AS c (tenant_id, inbox_key, unread, unseen, unread_newest_at)
        SELECT
            r.tenant_id,
            r.inbox_key,
            pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(r, NULL, 'unread')),
            pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(r, NULL, 'unseen')),
            pg_catalog.max(r.created_at) FILTER (WHERE notifydb._is_counted(r, NULL, 'unread'))
        FROM pg_catalog.unnest(v_new) AS r
        GROUP BY r.tenant_id, r.inbox_key
        ORDER BY r.tenant_id, r.inbox_key
        ON CONFLICT (tenant_id, inbox_key) DO UPDATE
        SET unread = c.unread + excluded.unread,
            unseen = c.unseen + excluded.unseen,
            unread_newest_at = greatest(c.unread_newest_at, excluded.unread_newest_at)
        WHERE excluded.unread <> 0
        RETURNING greatest(c.read_horizon, c.seen_horizon) AS horizon
    ),

    oldest AS MATERIALIZED (
        SELECT pg_catalog.min(r.created_at) AS created_at
        FROM pg_catalog.unnest(v_new) AS r
        WHERE notifydb._is_counted(r, NULL, 'unread')
    )

    SELECT coalesce(pg_catalog.bool_or(u.horizon >= o.created_at), FALSE)
    INTO v_below_a_horizon
    FROM upserted AS u, oldest AS o;
    IF NOT v_below_a_horizon THEN
        RETURN NULL;
    END IF;
    FOR v_inbox IN
        SELECT
            r.tenant_id,
            r.inbox_key,
            pg_catalog.array_agg(r.id) AS ids,
            pg_catalog.min(r.created_at) FILTER (WHERE notifydb._is_counted(r, NULL, 'unread')) AS oldest_unread,
            pg_catalog.min(r.created_at) FILTER (WHERE notifydb._is_counted(r, NULL, 'unseen')) AS oldest_unseen
        FROM pg_catalog.unnest(v_new) AS r
        GROUP BY r.tenant_id, r.inbox_key
        ORDER BY r.tenant_id, r.inbox_key
    LOOP
        SELECT c.* INTO v_counters
        FROM notifydb.inbox_counters AS c
        WHERE c.tenant_id = v_inbox.tenant_id AND c.inbox_key = v_inbox.inbox_key;
        IF v_inbox.oldest_unread <= v_counters.read_horizon THEN
            PERFORM notifydb._lower_horizon(
                v_inbox.tenant_id, v_inbox.inbox_key, 'read', v_inbox.oldest_unread, v_inbox.ids
            );
        END IF;
        IF v_inbox.oldest_unseen <= v_counters.seen_horizon THEN
            PERFORM notifydb._lower_horizon(
                v_inbox.tenant_id, v_inbox.inbox_key, 'seen', v_inbox.oldest_unseen, v_inbox.ids
            );
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_insert() IS
'Trigger: adds the unread and unseen rows of an INSERT statement to inbox_counters, one upsert per inbox; lowers a horizon that lies above a new row.';

-- New states count +1, old states -1, each under its own inbox's (locked,
-- so latest) horizons; unchanged rows cancel out. Rows pair up by id; one
-- without a partner (a DBA changed an id) leaves its old inbox and joins
-- its new one.
CREATE OR REPLACE FUNCTION notifydb._inbox_counters_after_update()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old notifydb.notifications[];
    v_new notifydb.notifications[];
    v_shard_tenants uuid[];
BEGIN
    SELECT pg_catalog.array_agg(ROW(r.*)::notifydb.notifications) INTO v_old FROM old_rows AS r;
    SELECT
        pg_catalog.array_agg(ROW(r.*)::notifydb.notifications),
        notifydb._shard_tenants(pg_catalog.array_agg(r.tenant_id))
    INTO v_new, v_shard_tenants
    FROM new_rows AS r;
    IF v_new IS NULL THEN
        RETURN NULL;  -- the statement updated nothing
    END IF;
    -- Only inboxes with a row whose counted state may have moved (delivery
    -- bookkeeping moves none).
    PERFORM notifydb._lock_inboxes(pg_catalog.array_agg(k.tenant_id), pg_catalog.array_agg(k.inbox_key))
    FROM (
        SELECT DISTINCT e.tenant_id, e.inbox_key
        FROM pg_catalog.unnest(v_old) AS o
        FULL JOIN pg_catalog.unnest(v_new) AS n ON n.tenant_id = o.tenant_id AND n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.tenant_id, o.inbox_key), (n.tenant_id, n.inbox_key)) AS e (tenant_id, inbox_key)
        WHERE e.tenant_id IS NOT NULL
            AND (
                o.id IS NULL
                OR n.id IS NULL
                OR (o.inbox_key, o.is_read, o.seen_at IS NULL, o.deleted_at IS NULL, o.created_at)
                IS DISTINCT FROM
                (n.inbox_key, n.is_read, n.seen_at IS NULL, n.deleted_at IS NULL, n.created_at)
            )
    ) AS k;
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, inbox_key, unread, unseen, unread_newest_at)
    SELECT
        d.tenant_id,
        d.inbox_key,
        pg_catalog.sum(d.unread),
        pg_catalog.sum(d.unseen),
        pg_catalog.max(d.unread_created_at)
    FROM (
        SELECT
            r.tenant_id,
            r.inbox_key,
            notifydb._is_counted(r, i.c, 'unread')::integer AS unread,
            notifydb._is_counted(r, i.c, 'unseen')::integer AS unseen,
            CASE
                WHEN notifydb._is_counted(r, i.c, 'unread')
                    AND r.created_at > coalesce((i.c).unread_newest_at, '-infinity')
                    THEN r.created_at
            END AS unread_created_at
        FROM pg_catalog.unnest(v_new) AS r
        LEFT JOIN LATERAL (
            SELECT ROW(i.*)::notifydb.inbox_counters AS c FROM notifydb.inbox_counters AS i
            WHERE i.tenant_id = r.tenant_id AND i.inbox_key = r.inbox_key
                AND (v_shard_tenants IS NULL OR i.tenant_id = ANY(v_shard_tenants))
            LIMIT 1
        ) AS i ON TRUE
        UNION ALL
        SELECT
            r.tenant_id,
            r.inbox_key,
            -notifydb._is_counted(r, i.c, 'unread')::integer,
            -notifydb._is_counted(r, i.c, 'unseen')::integer,
            NULL
        FROM pg_catalog.unnest(v_old) AS r
        LEFT JOIN LATERAL (
            SELECT ROW(i.*)::notifydb.inbox_counters AS c FROM notifydb.inbox_counters AS i
            WHERE i.tenant_id = r.tenant_id AND i.inbox_key = r.inbox_key
                AND (v_shard_tenants IS NULL OR i.tenant_id = ANY(v_shard_tenants))
            LIMIT 1
        ) AS i ON TRUE
    ) AS d
    GROUP BY d.tenant_id, d.inbox_key
    HAVING
        pg_catalog.sum(d.unread) <> 0
        OR pg_catalog.sum(d.unseen) <> 0
        OR pg_catalog.max(d.unread_created_at) IS NOT NULL
    ORDER BY d.tenant_id, d.inbox_key
    ON CONFLICT (tenant_id, inbox_key) DO UPDATE
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

-- Only a row that is unread and not deleted by its own marks can count, so
-- retention's batches of old read rows lock few counters.
CREATE OR REPLACE FUNCTION notifydb._inbox_counters_after_delete()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old notifydb.notifications[];
    v_shard_tenants uuid[];
BEGIN
    SELECT
        pg_catalog.array_agg(ROW(r.*)::notifydb.notifications),
        notifydb._shard_tenants(pg_catalog.array_agg(r.tenant_id))
    INTO v_old, v_shard_tenants
    FROM old_rows AS r;
    IF v_old IS NULL THEN
        RETURN NULL;  -- the statement deleted nothing
    END IF;
    PERFORM notifydb._lock_inboxes(pg_catalog.array_agg(r.tenant_id), pg_catalog.array_agg(r.inbox_key))
    FROM pg_catalog.unnest(v_old) AS r
    WHERE notifydb._is_counted(r, NULL, 'unread');
    INSERT INTO notifydb.inbox_counters AS c (tenant_id, inbox_key, unread, unseen)
    SELECT
        r.tenant_id,
        r.inbox_key,
        -pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(r, i.c, 'unread')),
        -pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(r, i.c, 'unseen'))
    FROM pg_catalog.unnest(v_old) AS r
    LEFT JOIN LATERAL (
        SELECT ROW(i.*)::notifydb.inbox_counters AS c FROM notifydb.inbox_counters AS i
        WHERE i.tenant_id = r.tenant_id AND i.inbox_key = r.inbox_key
            AND (v_shard_tenants IS NULL OR i.tenant_id = ANY(v_shard_tenants))
        LIMIT 1
    ) AS i ON TRUE
    WHERE notifydb._is_counted(r, NULL, 'unread')
    GROUP BY r.tenant_id, r.inbox_key
    HAVING pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(r, i.c, 'unread')) > 0
    ORDER BY r.tenant_id, r.inbox_key
    ON CONFLICT (tenant_id, inbox_key) DO UPDATE
    SET unread = c.unread + excluded.unread,
        unseen = c.unseen + excluded.unseen,
        unread_newest_at = CASE WHEN c.unread + excluded.unread = 0 THEN NULL ELSE c.unread_newest_at END;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION notifydb._inbox_counters_after_delete() IS
'Trigger: subtracts the unread and unseen rows of a DELETE statement (e.g. a retention batch) from inbox_counters.';

CREATE OR REPLACE FUNCTION notifydb._inbox_counters_after_truncate()
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

CREATE OR REPLACE TRIGGER notifications_100_inbox_counters_insert
AFTER INSERT ON notifydb.notifications
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_insert();

CREATE OR REPLACE TRIGGER notifications_100_inbox_counters_update
AFTER UPDATE ON notifydb.notifications
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_update();

CREATE OR REPLACE TRIGGER notifications_100_inbox_counters_delete
AFTER DELETE ON notifydb.notifications
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_delete();

CREATE OR REPLACE TRIGGER notifications_100_inbox_counters_truncate
AFTER TRUNCATE ON notifydb.notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifydb._inbox_counters_after_truncate();

COMMENT ON TRIGGER notifications_100_inbox_counters_insert ON notifydb.notifications IS
'Keeps inbox_counters exact for inserted rows (functions and bulk loads alike).';
COMMENT ON TRIGGER notifications_100_inbox_counters_update ON notifydb.notifications IS
'Keeps inbox_counters exact for read, unread, seen, soft-delete and any other update.';
COMMENT ON TRIGGER notifications_100_inbox_counters_delete ON notifydb.notifications IS
'Keeps inbox_counters exact under retention''s DELETEs.';
COMMENT ON TRIGGER notifications_100_inbox_counters_truncate ON notifydb.notifications IS
'Empties inbox_counters when notifications is truncated.';
