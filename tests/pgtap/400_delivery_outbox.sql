-- The outbox trigger: one SEND_NOTIFICATION job per email/push notification,
-- none for in_app or a deduplicated insert, in the same statement; deleting a
-- notification deletes its job.
BEGIN;
SELECT plan(17);

SELECT has_table('notifydb', 'delivery_outbox', 'the outbox table exists');
SELECT has_table('notifydb', 'delivery_policy', 'the delivery policy table exists');
SELECT is((SELECT max_attempts FROM notifydb.delivery_policy), 5, 'five attempts by default');
SELECT throws_ok(
    'INSERT INTO notifydb.delivery_policy (singleton) VALUES (FALSE)', '23514', NULL,
    'the policy has exactly one row'
);
SELECT has_column('notifydb', 'notifications', 'delivery_status', 'notifications have a delivery status');
SELECT has_column('notifydb', 'notifications', 'delivery_finished_at', 'and its time');
SELECT is_empty(
    $$SELECT i.indexrelid::regclass::text FROM pg_catalog.pg_index AS i
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = 'notifydb.notifications'::regclass
        AND a.attname IN ('delivery_status', 'delivery_finished_at')$$,
    'delivery columns are in no index (recording an outcome stays a HOT update)'
);
SELECT trigger_is(
    'notifydb', 'notifications', 'notifications_200_enqueue_deliveries', 'notifydb', '_enqueue_deliveries',
    'the outbox trigger is on notifications'
);

-- Other tests may have left jobs behind in this database; start from none.
DELETE FROM notifydb.delivery_outbox;

INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel, dedupe_key)
VALUES
('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', 'T', 't', 'm', 'in_app', NULL),
('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', 'T', 't', 'm', 'email', 'k1'),
('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b2', 'T', 't', 'm', 'push', NULL),
('00000000-0000-0000-0000-0000000000a1', NULL, 'T', 't', 'm', 'email', NULL);

SELECT results_eq(
    $$SELECT o.job_type, o.tenant_id, o.user_id, o.channel, o.attempts, o.leased_until IS NULL
      FROM notifydb.delivery_outbox AS o ORDER BY o.job_id$$,
    $$VALUES
      ('SEND_NOTIFICATION', '00000000-0000-0000-0000-0000000000a1'::uuid, '00000000-0000-0000-0000-0000000000b1'::uuid, 'email', 0, TRUE),
      ('SEND_NOTIFICATION', '00000000-0000-0000-0000-0000000000a1'::uuid, '00000000-0000-0000-0000-0000000000b2'::uuid, 'push', 0, TRUE),
      ('SEND_NOTIFICATION', '00000000-0000-0000-0000-0000000000a1'::uuid, NULL::uuid, 'email', 0, TRUE)$$,
    'one job per email/push row (the tenant-level one too), none for in_app'
);
SELECT is_empty(
    $$SELECT o.job_id FROM notifydb.delivery_outbox AS o
      LEFT JOIN notifydb.notifications AS n ON n.id = o.notification_id
      WHERE n.id IS NULL OR n.channel = 'in_app' OR n.tenant_id <> o.tenant_id
         OR n.user_id IS DISTINCT FROM o.user_id OR n.channel <> o.channel$$,
    'every job points at its own notification and copies its recipient and channel'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.notifications
        WHERE tenant_id = '00000000-0000-0000-0000-0000000000a1' AND delivery_status IS NOT NULL
    ),
    0::bigint, 'a new notification has no delivery outcome yet'
);

INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel, dedupe_key)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', 'T', 't', 'm', 'email', 'k1')
ON CONFLICT DO NOTHING;
SELECT is((SELECT count(*) FROM notifydb.delivery_outbox), 3::bigint, 'a deduplicated insert writes no job');

SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel)
      VALUES ('00000000-0000-0000-0000-0000000000a1', NULL, 'T', 't', 'm', 'email'),
             ('00000000-0000-0000-0000-0000000000a1', NULL, 'T', '', 'm', 'email')$$,
    '23514', NULL, 'a failing multi-row insert fails whole'
);
SELECT is((SELECT count(*) FROM notifydb.delivery_outbox), 3::bigint, 'and leaves no job behind');

DELETE FROM notifydb.notifications
WHERE channel = 'push';
SELECT is((SELECT count(*) FROM notifydb.delivery_outbox), 2::bigint, 'deleting a notification deletes its job');

SELECT throws_ok(
    $$INSERT INTO notifydb.delivery_outbox (notification_id, tenant_id, channel)
      VALUES ('00000000-0000-0000-0000-00000000dead', '00000000-0000-0000-0000-0000000000a1', 'email')$$,
    '23503', NULL, 'no job without its notification'
);

TRUNCATE notifydb.notifications;
SELECT is((SELECT count(*) FROM notifydb.delivery_outbox), 0::bigint, 'truncating notifications empties the outbox');

SELECT * FROM finish();
ROLLBACK;
