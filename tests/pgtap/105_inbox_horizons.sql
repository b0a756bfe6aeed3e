-- Read and seen horizons: mark_all_read and mark_seen of an inbox without
-- one rewrite no row, every function reads state through them, mark_unread
-- and rows created below a horizon lower it (writing out what it read), and
-- counters stay exact throughout.
BEGIN;
SELECT plan(33);

CREATE TEMPORARY TABLE t (tenant_id uuid, user_id uuid);
INSERT INTO t VALUES ('a0000000-0000-4000-8000-000000000105', 'b0000000-0000-4000-8000-000000000105');

-- Six unread rows a minute apart: row 2 has expired, row 3 is deleted.
CREATE TEMPORARY TABLE made AS
WITH inserted AS (
    INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, created_at, expires_at, deleted_at)
    SELECT
        t.tenant_id,
        t.user_id,
        'H' AS type,
        'row ' || i AS title,
        'message' AS message,
        now() - (10 - i) * interval '1 minute' AS created_at,
        CASE WHEN i = 2 THEN now() - interval '1 second' END AS expires_at,
        CASE WHEN i = 3 THEN now() END AS deleted_at
    FROM t, generate_series(1, 6) AS i
    RETURNING id, title
)

SELECT
    id,
    substr(title, 5)::integer AS i
FROM inserted;

CREATE FUNCTION pg_temp.row_id(p_i integer) RETURNS uuid LANGUAGE sql AS $$
    SELECT id FROM made WHERE i = p_i
$$;
CREATE FUNCTION pg_temp.listed_read() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(m.i || ':' || l.is_read || ':' || (l.read_at IS NOT NULL), ' ' ORDER BY m.i)
    FROM t, notifydb.list_notifications(t.tenant_id, t.user_id, FALSE, 100) AS l
    INNER JOIN made AS m ON m.id = l.id
$$;
CREATE FUNCTION pg_temp.unread_listed() RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(coalesce(m.i::text, 'new'), ' ' ORDER BY l.created_at), '')
    FROM t, notifydb.list_notifications(t.tenant_id, t.user_id, TRUE, 100) AS l
    LEFT JOIN made AS m ON m.id = l.id
$$;
CREATE FUNCTION pg_temp.horizon() RETURNS timestamptz LANGUAGE sql AS $$
    SELECT c.read_horizon FROM notifydb.inbox_counters AS c, t
    WHERE c.tenant_id = t.tenant_id AND c.inbox_key = t.user_id
$$;

SELECT is(notifydb.unread_count(tenant_id, user_id), 4::bigint, 'four visible unread rows') FROM t;
SELECT is(notifydb.mark_all_read(tenant_id, user_id), 4::bigint, 'mark_all_read counts the visible rows it read') FROM t;
SELECT isnt(pg_temp.horizon(), NULL, 'the inbox now has a read horizon');
SELECT is(
    (
        SELECT count(*) FROM notifydb.notifications AS n, t
        WHERE n.tenant_id = t.tenant_id AND n.is_read
    ),
    0::bigint,
    'and no row was rewritten'
);
SELECT is(notifydb.unread_count(tenant_id, user_id), 0::bigint, 'nothing is unread') FROM t;
SELECT is(notifydb.unseen_count(tenant_id, user_id), 0::bigint, 'read through the horizon is seen') FROM t;
SELECT is(pg_temp.listed_read(), '1:true:true 4:true:true 5:true:true 6:true:true', 'the list shows every row read, with read_at');
SELECT is(pg_temp.unread_listed(), '', 'the unread list is empty');
SELECT is(
    (
        SELECT l.read_at FROM t, notifydb.list_notifications(t.tenant_id, t.user_id, FALSE, 1) AS l
    ),
    now(),
    'read_at is the time of mark_all_read'
);
SELECT is(notifydb.mark_read(tenant_id, user_id, ARRAY[pg_temp.row_id(5)]), 0::bigint, 'mark_read of a row read through the horizon changes nothing') FROM t;
SELECT is(notifydb.mark_all_read(tenant_id, user_id), 0::bigint, 'mark_all_read again changes nothing') FROM t;

-- mark_unread of a row under the horizon: the horizon goes below it, the
-- newer rows it read get their state written out.
SELECT is(notifydb.mark_unread(tenant_id, user_id, ARRAY[pg_temp.row_id(5)]), 1::bigint, 'mark_unread of a row read through the horizon') FROM t;
SELECT is(pg_temp.unread_listed(), '5', 'that row alone is unread');
SELECT is(notifydb.unread_count(tenant_id, user_id), 1::bigint, 'and counted') FROM t;
SELECT is(pg_temp.listed_read(), '1:true:true 4:true:true 5:false:false 6:true:true', 'the others stay read');
SELECT is(
    (
        SELECT row(n.is_read, n.read_at = now())::text FROM notifydb.notifications AS n
        WHERE n.id = pg_temp.row_id(6)
    ),
    '(t,t)',
    'the newer row has its read state written out'
);
SELECT ok(pg_temp.horizon() < (
    SELECT created_at FROM notifydb.notifications
    WHERE id = pg_temp.row_id(5)
), 'the horizon went below the unread row');
SELECT is(
    (
        SELECT n.is_read FROM notifydb.notifications AS n
        WHERE n.id = pg_temp.row_id(2)
    ),
    FALSE,
    'the row that had expired before mark_all_read stays as mark_all_read left it'
);
SELECT is_empty('SELECT * FROM notifydb._inbox_counter_drift()', 'counters are exact after mark_unread');

-- A DBA's backdated row below the horizon is unread: it lowers the horizon.
INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, created_at)
SELECT
    tenant_id,
    user_id,
    'H' AS type,
    'backdated' AS title,
    'message' AS message,
    now() - interval '7 minutes 30 seconds' AS created_at
FROM t;
SELECT is(pg_temp.unread_listed(), 'new 5', 'a row created below the horizon is unread');
SELECT is(notifydb.unread_count(tenant_id, user_id), 2::bigint, 'and counted') FROM t;
SELECT is(pg_temp.listed_read(), '1:true:true 4:true:true 5:false:false 6:true:true', 'rows read before stay read');
SELECT is_empty('SELECT * FROM notifydb._inbox_counter_drift()', 'counters are exact after a row below the horizon');

-- With a horizon already reading older rows, mark_all_read reads the rest.
SELECT is(notifydb.mark_all_read(tenant_id, user_id), 2::bigint, 'mark_all_read reads the two unread rows') FROM t;
SELECT is(notifydb.unread_count(tenant_id, user_id), 0::bigint, 'nothing is unread again') FROM t;
SELECT is_empty('SELECT * FROM notifydb._inbox_counter_drift()', 'counters are exact after mark_all_read');

-- The seen horizon: mark_seen covers the unread rows without reading them.
SELECT notifydb.mark_unread(tenant_id, user_id, ARRAY[pg_temp.row_id(1), pg_temp.row_id(4)]) FROM t;
UPDATE notifydb.notifications SET seen_at = NULL
WHERE id IN (pg_temp.row_id(1), pg_temp.row_id(4));
SELECT is(notifydb.unseen_count(tenant_id, user_id), 2::bigint, 'two unread rows are unseen') FROM t;
SELECT is(notifydb.mark_seen(tenant_id, user_id), 2::bigint, 'mark_seen covers them') FROM t;
SELECT is(notifydb.unseen_count(tenant_id, user_id), 0::bigint, 'nothing is unseen') FROM t;
SELECT is(notifydb.unread_count(tenant_id, user_id), 2::bigint, 'seeing does not read') FROM t;

-- The tenant-level inbox has a horizon of its own.
SELECT notifydb.create_notification(tenant_id, NULL, 'H', 'for the admins', 'message') FROM t;
SELECT is(notifydb.mark_all_read(tenant_id, NULL), 1::bigint, 'mark_all_read of the tenant-level inbox') FROM t;
SELECT is(notifydb.unread_count(tenant_id, user_id), 2::bigint, 'leaves the user''s inbox alone') FROM t;

-- A rebuild recounts, and keeps the horizons.
SELECT notifydb._rebuild_inbox_counters();
SELECT is_empty('SELECT * FROM notifydb._inbox_counter_drift()', 'counters are exact after a rebuild');

SELECT * FROM finish();
ROLLBACK;
