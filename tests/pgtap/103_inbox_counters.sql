-- inbox_counters stay exact under every kind of write, not only the
-- functions': a DBA's bulk INSERT, UPDATEs that move rows, retention's plain
-- DELETEs, TRUNCATE; expired rows are subtracted at read time; the rebuild
-- gives the same counters, settling the rows expired by then.
BEGIN;
SELECT plan(20);

-- Every inbox whose counter differs from a recount under its horizons.
CREATE TEMPORARY VIEW counter_drift AS
SELECT * FROM notifydb._inbox_counter_drift();

CREATE TEMPORARY TABLE t (tenant_id uuid, user_id uuid, other_user uuid);
INSERT INTO t VALUES (
    'a0000000-0000-4000-8000-000000000103',
    'b0000000-0000-4000-8000-000000000103',
    'c0000000-0000-4000-8000-000000000103'
);

SELECT is_empty('SELECT * FROM counter_drift', 'counters are exact to begin with');

-- A DBA's bulk load straight into the table: 300 rows over 3 inboxes, mixed states.
INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, is_read, read_at, seen_at, deleted_at, expires_at)
SELECT
    t.tenant_id,
    CASE i % 3 WHEN 0 THEN t.user_id WHEN 1 THEN t.other_user END AS user_id,
    'BULK' AS type,
    'title' AS title,
    'message' AS message,
    i % 4 = 0 AS is_read,
    CASE WHEN i % 4 = 0 THEN now() END AS read_at,
    CASE WHEN i % 5 = 0 THEN now() END AS seen_at,
    CASE WHEN i % 7 = 0 THEN now() END AS deleted_at,
    CASE WHEN i % 6 = 0 THEN now() + interval '1 day' END AS expires_at
FROM t, generate_series(1, 300) AS i;
SELECT is_empty('SELECT * FROM counter_drift', 'exact after a bulk INSERT');

SELECT is(
    notifydb.unread_count(tenant_id, user_id),
    (
        SELECT count(*) FROM notifydb.notifications AS n
        WHERE n.tenant_id = t.tenant_id AND n.user_id = t.user_id AND NOT n.is_read AND n.deleted_at IS NULL
    )::bigint,
    'unread_count equals a recount'
) FROM t;
SELECT is(
    notifydb.unseen_count(tenant_id, NULL),
    (
        SELECT count(*) FROM notifydb.notifications AS n
        WHERE n.tenant_id = t.tenant_id AND n.user_id IS NULL AND NOT n.is_read AND n.seen_at IS NULL AND n.deleted_at IS NULL
    )::bigint,
    'unseen_count of the tenant-level inbox equals a recount'
) FROM t;

-- Updates of every kind, including one that moves rows to another inbox.
UPDATE notifydb.notifications SET is_read = NOT is_read, read_at = CASE WHEN is_read THEN NULL ELSE now() END
WHERE tenant_id = (SELECT tenant_id FROM t) AND title = 'title' AND created_at = now() AND id::text < '8';
SELECT is_empty('SELECT * FROM counter_drift', 'exact after a DBA UPDATE flipping read states');
UPDATE notifydb.notifications SET user_id = (SELECT other_user FROM t)
WHERE tenant_id = (SELECT tenant_id FROM t) AND user_id = (SELECT user_id FROM t) AND id::text > 'c';
SELECT is_empty('SELECT * FROM counter_drift', 'exact after an UPDATE that moves rows between inboxes');
UPDATE notifydb.notifications SET deleted_at = NULL
WHERE tenant_id = (SELECT tenant_id FROM t);
SELECT is_empty('SELECT * FROM counter_drift', 'exact after undeleting');

-- Expiry: a counter cannot expire, so reads subtract the expired rows.
CREATE TEMPORARY TABLE before_expiry AS
SELECT
    notifydb.unread_count(tenant_id, user_id) AS unread,
    notifydb.unseen_count(tenant_id, user_id) AS unseen
FROM t;
CREATE TEMPORARY TABLE expiring AS
SELECT
    count(*) FILTER (WHERE NOT n.is_read) AS unread,
    count(*) FILTER (WHERE NOT n.is_read AND n.seen_at IS NULL) AS unseen
FROM notifydb.notifications AS n, t
WHERE n.tenant_id = t.tenant_id AND n.user_id = t.user_id AND n.expires_at IS NOT NULL AND n.deleted_at IS NULL;
SELECT cmp_ok((SELECT unread FROM expiring), '>', 0::bigint, 'some unread rows of the inbox will expire');
UPDATE notifydb.notifications SET expires_at = now() - interval '1 second'
WHERE tenant_id = (SELECT tenant_id FROM t) AND expires_at IS NOT NULL;
SELECT is(
    notifydb.unread_count(tenant_id, user_id),
    (SELECT unread FROM before_expiry) - (SELECT unread FROM expiring),
    'unread_count drops by the expired unread rows'
) FROM t;
SELECT is(
    notifydb.unseen_count(tenant_id, user_id),
    (SELECT unseen FROM before_expiry) - (SELECT unseen FROM expiring),
    'unseen_count drops by the expired unseen rows'
) FROM t;
SELECT is(
    (SELECT count(*) FROM t, notifydb.list_notifications(t.tenant_id, t.user_id, TRUE, 100)),
    (SELECT notifydb.unread_count(tenant_id, user_id) FROM t),
    'unread_count agrees with the unread list after expiry'
);

-- Retention's plain DELETE of the expired rows: the count does not move.
DELETE FROM notifydb.notifications
WHERE tenant_id = (SELECT tenant_id FROM t) AND expires_at <= now();
SELECT is_empty('SELECT * FROM counter_drift', 'exact after a plain DELETE');
SELECT is(
    notifydb.unread_count(tenant_id, user_id),
    (SELECT unread FROM before_expiry) - (SELECT unread FROM expiring),
    'purging expired rows leaves unread_count unchanged'
) FROM t;

-- unread_newest_at bounds every unread row, also when a DBA moves one later.
SELECT notifydb.create_notification(tenant_id, user_id, 'MOVED', 'title', 'message') FROM t;
UPDATE notifydb.notifications SET created_at = now() + interval '1 hour'
WHERE tenant_id = (SELECT tenant_id FROM t) AND type = 'MOVED';
SELECT is(
    (SELECT l.created_at FROM t, notifydb.list_notifications(t.tenant_id, t.user_id, TRUE, 1) AS l),
    now() + interval '1 hour', 'the unread list finds a row moved past the bound'
);
SELECT is_empty(
    $$SELECT n.id FROM notifydb.notifications AS n JOIN notifydb.inbox_counters AS c
        ON c.tenant_id = n.tenant_id AND c.inbox_key = n.inbox_key
      WHERE notifydb._is_counted(n, c, 'unread')
        AND (c.unread_newest_at IS NULL OR n.created_at > c.unread_newest_at)$$,
    'no unread row is newer than its inbox''s unread_newest_at'
);
SELECT notifydb.mark_all_read(tenant_id, user_id, 'infinity') FROM t;
SELECT is(
    (
        SELECT c.unread_newest_at FROM notifydb.inbox_counters AS c, t
        WHERE c.tenant_id = t.tenant_id AND c.inbox_key = t.user_id
    ),
    NULL, 'unread_newest_at is reset when nothing is unread'
);

-- Rebuild from scratch gives the same counters.
UPDATE notifydb.inbox_counters SET unread = unread + 7
WHERE tenant_id = (SELECT tenant_id FROM t);
SELECT isnt_empty('SELECT * FROM counter_drift', 'a damaged counter is noticed');
SELECT cmp_ok(notifydb._rebuild_inbox_counters(), '>=', 3::bigint, 'the rebuild counts the inboxes');
SELECT is_empty('SELECT * FROM counter_drift', 'exact after the rebuild');

-- TRUNCATE (of the whole table and the outbox that references it: this transaction rolls back).
TRUNCATE notifydb.notifications, notifydb.delivery_outbox;
SELECT is_empty('SELECT * FROM notifydb.inbox_counters', 'TRUNCATE empties the counters');

SELECT * FROM finish();
ROLLBACK;
