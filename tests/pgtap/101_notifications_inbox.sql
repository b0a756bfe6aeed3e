-- Creating, deduplicating, fanning out and listing: order, keyset paging
-- among equal created_at, hidden rows, unread-only, limits, the tenant-level
-- inbox, and unread_count agreeing with the unread list.
BEGIN;
SELECT plan(29);

CREATE TEMPORARY TABLE t (tenant_id uuid, user_id uuid, other_user uuid);
INSERT INTO t VALUES (
    'a0000000-0000-4000-8000-000000000101',
    'b0000000-0000-4000-8000-000000000101',
    'c0000000-0000-4000-8000-000000000101'
);

-- 30 notifications in one transaction: all share created_at = now().
CREATE TEMPORARY TABLE made AS
SELECT
    notifydb.create_notification(t.tenant_id, t.user_id, 'T', 'title ' || i, 'message') AS id,
    i
FROM t, generate_series(1, 30) AS i;

SELECT is(
    (SELECT count(DISTINCT id) FROM made), 30::bigint, 'create_notification returns a new id each time'
);
SELECT is(
    (SELECT count(*) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t))),
    20::bigint, 'the default page holds 20'
);
SELECT is(
    (SELECT count(*) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), p_limit => 1000)),
    30::bigint, 'p_limit above 100 is clamped (all 30 fit)'
);
SELECT is(
    (SELECT count(*) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), p_limit => 0)),
    1::bigint, 'p_limit 0 is clamped to 1'
);
SELECT is(
    (SELECT count(*) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), p_limit => -5)),
    1::bigint, 'a negative p_limit is clamped to 1'
);

-- Page through 7 at a time: every row exactly once, in (created_at, id) DESC order.
CREATE TEMPORARY TABLE paged (n integer, id uuid, created_at timestamptz);
DO $$
DECLARE
    v_tenant uuid := (SELECT tenant_id FROM t);
    v_user uuid := (SELECT user_id FROM t);
    v_created timestamptz;
    v_id uuid;
    v_n integer := 0;
    v_row record;
    v_found integer;
BEGIN
    LOOP
        v_found := 0;
        FOR v_row IN
            SELECT l.id, l.created_at FROM notifydb.list_notifications(v_tenant, v_user, FALSE, 7, v_created, v_id) AS l
        LOOP
            v_n := v_n + 1;
            v_found := v_found + 1;
            INSERT INTO paged VALUES (v_n, v_row.id, v_row.created_at);
            v_created := v_row.created_at;
            v_id := v_row.id;
        END LOOP;
        EXIT WHEN v_found = 0;
    END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM paged), 30::bigint, 'paging by 7 returns 30 rows');
SELECT is((SELECT count(DISTINCT id) FROM paged), 30::bigint, 'paging never repeats a row among equal created_at');
SELECT ok(
    (
        SELECT bool_and(ok)
        FROM (
            SELECT (lag(id) OVER (ORDER BY n)) > id AS ok FROM paged
        ) AS s
        WHERE ok IS NOT NULL
    ),
    'pages are in descending id order when created_at ties'
);

-- Newest first by created_at.
UPDATE notifydb.notifications SET created_at = now() - (i || ' minutes')::interval
FROM made
WHERE notifications.id = made.id;
SELECT is(
    (SELECT array_agg(title) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), p_limit => 3)),
    ARRAY['title 1', 'title 2', 'title 3'],
    'lists are newest first'
);
SELECT is(
    (
        SELECT array_agg(l.title)
        FROM notifydb.list_notifications(
                (SELECT tenant_id FROM t), (SELECT user_id FROM t), p_limit => 2,
                p_before_created_at => now() - interval '3 minutes'
            ) AS l
    ),
    ARRAY['title 4', 'title 5'],
    'a cursor time without an id pages strictly before that time'
);

-- Hidden rows: soft-deleted and expired.
SELECT is(
    notifydb.delete_notifications(
        (
            SELECT tenant_id FROM t), (SELECT user_id FROM t), (
            SELECT array_agg(id) FROM made
            WHERE i <= 2
        )
    ),
    2::bigint, 'two notifications deleted'
);
UPDATE notifydb.notifications SET expires_at = now() - interval '1 second'
WHERE id IN (
        SELECT id FROM made
        WHERE i IN (3, 4)
    );
UPDATE notifydb.notifications SET expires_at = now() + interval '1 hour'
WHERE id IN (
        SELECT id FROM made
        WHERE i = 5
    );
SELECT is(
    (SELECT array_agg(title) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), p_limit => 2)),
    ARRAY['title 5', 'title 6'],
    'deleted and expired rows are not listed; not yet expired ones are'
);
SELECT is(
    notifydb.unread_count((SELECT tenant_id FROM t), (SELECT user_id FROM t)), 26::bigint,
    'unread_count leaves out deleted and expired rows'
);

-- Unread only.
SELECT is(
    notifydb.mark_read((
        SELECT tenant_id FROM t), (SELECT user_id FROM t), (
        SELECT array_agg(id) FROM made
        WHERE i % 2 = 0
    )),
    13::bigint, 'mark_read changes the 13 visible even-numbered rows'
);
SELECT is(
    (SELECT count(*) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), TRUE, 100)),
    notifydb.unread_count((SELECT tenant_id FROM t), (SELECT user_id FROM t)),
    'unread_count agrees with the unread list'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), TRUE, 100)
        WHERE is_read
    ),
    0::bigint, 'the unread list holds no read row'
);
SELECT is(
    (SELECT array_agg(title) FROM notifydb.list_notifications((SELECT tenant_id FROM t), (SELECT user_id FROM t), TRUE, 3)),
    ARRAY['title 5', 'title 7', 'title 9'],
    'the unread list is newest first'
);

-- Tenant-level inbox: user_id NULL is a separate inbox.
SELECT isnt(
    notifydb.create_notification((SELECT tenant_id FROM t), NULL, 'TENANT', 'for admins', 'message'),
    NULL, 'a tenant-level notification is created'
);
SELECT is(
    (SELECT array_agg(type) FROM notifydb.list_notifications((SELECT tenant_id FROM t), NULL)),
    ARRAY['TENANT'::text], 'the tenant-level inbox lists only tenant-level rows'
);
SELECT is(notifydb.unread_count((SELECT tenant_id FROM t), NULL), 1::bigint, 'tenant-level unread_count');
SELECT is(
    notifydb.unread_count((SELECT tenant_id FROM t), (SELECT user_id FROM t)), 13::bigint,
    'the user inbox does not count the tenant-level row'
);

-- Dedupe.
SELECT is(
    notifydb.create_notification((SELECT tenant_id FROM t), (SELECT user_id FROM t), 'T', 'first', 'm', p_dedupe_key => 'k1'),
    notifydb.create_notification((SELECT tenant_id FROM t), (SELECT user_id FROM t), 'T', 'second', 'm', p_dedupe_key => 'k1'),
    'a repeated dedupe key returns the first row''s id'
);
SELECT is(
    (
        SELECT array_agg(title) FROM notifydb.notifications
        WHERE dedupe_key = 'k1' AND tenant_id = (SELECT tenant_id FROM t)
    ),
    ARRAY['first'::text], 'and the first row stands'
);
SELECT is(
    notifydb.create_notification((SELECT tenant_id FROM t), NULL, 'T', 'first', 'm', p_dedupe_key => 'k1'),
    notifydb.create_notification((SELECT tenant_id FROM t), NULL, 'T', 'again', 'm', p_dedupe_key => 'k1'),
    'dedupe holds for the tenant-level inbox too'
);

-- Fan-out: distinct recipients (NULL: the tenant-level inbox), dedupe per inbox.
SELECT is(
    notifydb.fan_out_notification(
        (SELECT tenant_id FROM t),
        (SELECT ARRAY[user_id, other_user, NULL, other_user, user_id] FROM t),
        'FAN', 'title', 'message', p_dedupe_key => 'k1'
    ),
    1::bigint, 'fan-out skips repeated users and every inbox that already has the key (NULL: the tenant-level one)'
);
SELECT is(
    notifydb.fan_out_notification(
        (SELECT tenant_id FROM t), (SELECT ARRAY[user_id, other_user] FROM t), 'FAN', 'title', 'message'
    ),
    2::bigint, 'fan-out without a key creates one row per user'
);
SELECT is(
    notifydb.fan_out_notification((SELECT tenant_id FROM t), '{}', 'FAN', 'title', 'message'),
    0::bigint, 'an empty fan-out creates nothing'
);
SELECT is(
    notifydb.fan_out_notification(
        (SELECT tenant_id FROM t), (SELECT ARRAY[NULL, other_user, NULL]::uuid[] FROM t), 'FAN', 'title', 'message'
    ),
    2::bigint, 'a NULL recipient is the tenant-level inbox, created once however often NULL is given'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.list_notifications((SELECT tenant_id FROM t), NULL)
        WHERE type = 'FAN'
    ),
    1::bigint, 'and the tenant-level inbox lists it'
);

SELECT * FROM finish();
ROLLBACK;
