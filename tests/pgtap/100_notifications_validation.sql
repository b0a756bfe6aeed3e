-- Bad input to the notification functions: SQLSTATE 22023, a message that
-- names the parameter, and nothing written.
BEGIN;
SELECT plan(44);

CREATE TEMPORARY TABLE t (tenant_id uuid, user_id uuid);
INSERT INTO t VALUES ('a0000000-0000-4000-8000-000000000100', 'b0000000-0000-4000-8000-000000000100');

-- create_notification, one parameter at a time.
SELECT throws_ok(
    $$SELECT notifydb.create_notification(NULL, NULL, 'T', 'title', 'message')$$,
    '22023', 'p_tenant_id must not be NULL', 'create: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, '', 'title', 'message') FROM t$$,
    '22023', 'p_type must be 1..100 characters', 'create: p_type empty'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, repeat('x', 101), 'title', 'message') FROM t$$,
    '22023', 'p_type must be 1..100 characters', 'create: p_type too long'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, NULL, 'title', 'message') FROM t$$,
    '22023', 'p_type must be 1..100 characters', 'create: p_type NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', '', 'message') FROM t$$,
    '22023', 'p_title must be 1..200 characters', 'create: p_title empty'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', repeat('x', 201), 'message') FROM t$$,
    '22023', 'p_title must be 1..200 characters', 'create: p_title too long'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', NULL, 'message') FROM t$$,
    '22023', 'p_title must be 1..200 characters', 'create: p_title NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', 'title', '') FROM t$$,
    '22023', 'p_message must be 1..2000 characters', 'create: p_message empty'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', 'title', repeat('x', 2001)) FROM t$$,
    '22023', 'p_message must be 1..2000 characters', 'create: p_message too long'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', 'title', NULL) FROM t$$,
    '22023', 'p_message must be 1..2000 characters', 'create: p_message NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', 'title', 'message', 'sms') FROM t$$,
    '22023', 'p_channel must be in_app, email or push', 'create: p_channel unknown'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', 'title', 'message', NULL) FROM t$$,
    '22023', 'p_channel must be in_app, email or push', 'create: p_channel NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(tenant_id, user_id, 'T', 'title', 'message', 'in_app', now()) FROM t$$,
    '22023', 'p_expires_at must be in the future', 'create: p_expires_at now'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(
        tenant_id, user_id, 'T', 'title', 'message', 'in_app', now() - interval '1 day') FROM t$$,
    '22023', 'p_expires_at must be in the future', 'create: p_expires_at in the past'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(
        tenant_id, user_id, 'T', 'title', 'message', p_data => '[1, 2]') FROM t$$,
    '22023', 'p_data must be a JSON object of at most 4096 bytes', 'create: p_data an array'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(
        tenant_id, user_id, 'T', 'title', 'message', p_data => 'null') FROM t$$,
    '22023', 'p_data must be a JSON object of at most 4096 bytes', 'create: p_data JSON null'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(
        tenant_id, user_id, 'T', 'title', 'message',
        p_data => jsonb_build_object('k', repeat('x', 4100))) FROM t$$,
    '22023', 'p_data must be a JSON object of at most 4096 bytes', 'create: p_data over 4 KB'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(
        tenant_id, user_id, 'T', 'title', 'message', p_dedupe_key => '') FROM t$$,
    '22023', 'p_dedupe_key must be 1..200 characters', 'create: p_dedupe_key empty'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification(
        tenant_id, user_id, 'T', 'title', 'message', p_dedupe_key => repeat('k', 201)) FROM t$$,
    '22023', 'p_dedupe_key must be 1..200 characters', 'create: p_dedupe_key too long'
);

-- The bounds themselves are accepted.
SELECT lives_ok(
    $$SELECT notifydb.create_notification(
        tenant_id, user_id, repeat('t', 100), repeat('x', 200), repeat('m', 2000), 'push',
        now() + interval '1 second', jsonb_build_object('k', repeat('x', 4000)), repeat('k', 200)) FROM t$$,
    'create: every parameter at its upper bound is accepted'
);
DELETE FROM notifydb.notifications
WHERE tenant_id = (SELECT tenant_id FROM t);

-- fan_out_notification shares the checks, plus its own array.
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(NULL, ARRAY[gen_random_uuid()], 'T', 'title', 'message')$$,
    '22023', 'p_tenant_id must not be NULL', 'fan_out: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(tenant_id, NULL, 'T', 'title', 'message') FROM t$$,
    '22023', 'p_user_ids must not be NULL', 'fan_out: p_user_ids NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(tenant_id, ARRAY[user_id], '', 'title', 'message') FROM t$$,
    '22023', 'p_type must be 1..100 characters', 'fan_out: p_type empty'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(tenant_id, ARRAY[user_id], 'T', '', 'message') FROM t$$,
    '22023', 'p_title must be 1..200 characters', 'fan_out: p_title empty'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(tenant_id, ARRAY[user_id], 'T', 'title', '') FROM t$$,
    '22023', 'p_message must be 1..2000 characters', 'fan_out: p_message empty'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(tenant_id, ARRAY[user_id], 'T', 'title', 'message', 'fax') FROM t$$,
    '22023', 'p_channel must be in_app, email or push', 'fan_out: p_channel unknown'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(
        tenant_id, ARRAY[user_id], 'T', 'title', 'message', 'in_app', now() - interval '1 s') FROM t$$,
    '22023', 'p_expires_at must be in the future', 'fan_out: p_expires_at in the past'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(
        tenant_id, ARRAY[user_id], 'T', 'title', 'message', p_data => '"text"') FROM t$$,
    '22023', 'p_data must be a JSON object of at most 4096 bytes', 'fan_out: p_data a string'
);
SELECT throws_ok(
    $$SELECT notifydb.fan_out_notification(
        tenant_id, ARRAY[user_id], 'T', 'title', 'message', p_dedupe_key => repeat('k', 201)) FROM t$$,
    '22023', 'p_dedupe_key must be 1..200 characters', 'fan_out: p_dedupe_key too long'
);

-- The inbox functions.
SELECT throws_ok(
    $$SELECT * FROM notifydb.list_notifications(NULL, NULL)$$,
    '22023', 'p_tenant_id must not be NULL', 'list: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT l.* FROM t, notifydb.list_notifications(t.tenant_id, t.user_id, p_before_id => gen_random_uuid()) AS l$$,
    '22023', 'p_before_created_at must be given with p_before_id', 'list: a cursor id without its time'
);
SELECT throws_ok(
    $$SELECT notifydb.unread_count(NULL, NULL)$$,
    '22023', 'p_tenant_id must not be NULL', 'unread_count: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.unseen_count(NULL, NULL)$$,
    '22023', 'p_tenant_id must not be NULL', 'unseen_count: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_read(NULL, NULL, ARRAY[gen_random_uuid()])$$,
    '22023', 'p_tenant_id must not be NULL', 'mark_read: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_read(tenant_id, user_id, NULL) FROM t$$,
    '22023', 'p_ids must not be NULL', 'mark_read: p_ids NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_unread(NULL, NULL, ARRAY[gen_random_uuid()])$$,
    '22023', 'p_tenant_id must not be NULL', 'mark_unread: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_unread(tenant_id, user_id, NULL) FROM t$$,
    '22023', 'p_ids must not be NULL', 'mark_unread: p_ids NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.delete_notifications(NULL, NULL, ARRAY[gen_random_uuid()])$$,
    '22023', 'p_tenant_id must not be NULL', 'delete_notifications: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.delete_notifications(tenant_id, user_id, NULL) FROM t$$,
    '22023', 'p_ids must not be NULL', 'delete_notifications: p_ids NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_all_read(NULL, NULL)$$,
    '22023', 'p_tenant_id must not be NULL', 'mark_all_read: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_all_read(tenant_id, user_id, NULL) FROM t$$,
    '22023', 'p_up_to must not be NULL', 'mark_all_read: p_up_to NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_seen(NULL, NULL)$$,
    '22023', 'p_tenant_id must not be NULL', 'mark_seen: p_tenant_id NULL'
);
SELECT throws_ok(
    $$SELECT notifydb.mark_seen(tenant_id, user_id, NULL) FROM t$$,
    '22023', 'p_up_to must not be NULL', 'mark_seen: p_up_to NULL'
);

SELECT is(
    (
        SELECT count(*) FROM notifydb.notifications
        WHERE tenant_id = (SELECT tenant_id FROM t)
    ),
    0::bigint, 'nothing was written by the rejected calls'
);

SELECT * FROM finish();
ROLLBACK;
