-- The outbox through the notification functions: create_notification and
-- fan_out_notification write exactly one job per row they create on the email
-- or push channel, none for in_app, none for what a dedupe key suppressed.
BEGIN;
SELECT plan(13);

CREATE FUNCTION pg_temp.jobs_of(p_tenant_id uuid) RETURNS TABLE (notification_id uuid, channel text)
LANGUAGE sql AS $$
    SELECT o.notification_id, o.channel FROM notifydb.delivery_outbox AS o WHERE o.tenant_id = p_tenant_id
$$;

-- create_notification, tenant 4031 (a tenant of this file only).
SELECT lives_ok(
    $$SELECT notifydb.create_notification('00000000-0000-0000-0000-000000004031', NULL, 'T', 'in app', 'm')$$,
    'an in_app create'
);
SELECT is_empty($$SELECT * FROM pg_temp.jobs_of('00000000-0000-0000-0000-000000004031')$$, 'writes no job');

CREATE TEMPORARY TABLE created ON COMMIT DROP AS
SELECT
    notifydb.create_notification(
        '00000000-0000-0000-0000-000000004031', '00000000-0000-0000-0000-0000000000b1', 'T', 'e-mail', 'm', 'email'
    ) AS id,
    'email' AS channel
UNION ALL
SELECT
    notifydb.create_notification(
        '00000000-0000-0000-0000-000000004031', NULL, 'T', 'push', 'm', 'push', p_dedupe_key => 'k'
    ) AS id,
    'push' AS channel;
SELECT set_eq(
    $$SELECT * FROM pg_temp.jobs_of('00000000-0000-0000-0000-000000004031')$$,
    $$SELECT id, channel FROM created$$,
    'an email create and a push create write one job each, for their own rows'
);
SELECT is(
    notifydb.create_notification(
        '00000000-0000-0000-0000-000000004031', NULL, 'T', 'push again', 'm', 'push', p_dedupe_key => 'k'
    ),
    (
        SELECT id FROM created
        WHERE channel = 'push'
    ),
    'a deduplicated create returns the first row'
);
SELECT is(
    (SELECT count(*) FROM pg_temp.jobs_of('00000000-0000-0000-0000-000000004031')), 2::bigint,
    'and writes no job'
);
SELECT throws_ok(
    $$SELECT notifydb.create_notification('00000000-0000-0000-0000-000000004031', NULL, 'T', '', 'm', 'email')$$,
    '22023', NULL, 'a refused create'
);
SELECT is(
    (SELECT count(*) FROM pg_temp.jobs_of('00000000-0000-0000-0000-000000004031')), 2::bigint,
    'writes no job either'
);

-- fan_out_notification, tenant 4032: users c1..c5 and the tenant-level inbox (NULL); c1 and c2
-- already hold key k.
SELECT is(
    notifydb.fan_out_notification(
        '00000000-0000-0000-0000-000000004032',
        ARRAY['00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000c2']::uuid[],
        'T', 'first', 'm', 'email', p_dedupe_key => 'k'
    ),
    2::bigint, 'a first e-mail fan-out with key k'
);
SELECT is(
    notifydb.fan_out_notification(
        '00000000-0000-0000-0000-000000004032',
        ARRAY[
            '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000c2',
            '00000000-0000-0000-0000-0000000000c3', '00000000-0000-0000-0000-0000000000c4',
            '00000000-0000-0000-0000-0000000000c5', '00000000-0000-0000-0000-0000000000c5', NULL
        ]::uuid[],
        'T', 'second', 'm', 'email', p_dedupe_key => 'k'
    ),
    4::bigint, 'a fan-out with a key two users already hold creates four rows (NULL: the tenant-level inbox)'
);
SELECT set_eq(
    $$SELECT * FROM pg_temp.jobs_of('00000000-0000-0000-0000-000000004032')$$,
    $$SELECT id, channel FROM notifydb.notifications WHERE tenant_id = '00000000-0000-0000-0000-000000004032'$$,
    'one job per created row, the first fan-out''s too'
);
SELECT is(
    (SELECT count(*) FROM pg_temp.jobs_of('00000000-0000-0000-0000-000000004032')), 6::bigint,
    'six rows, six jobs: none for the deduplicated users or the repeated entry'
);
SELECT is(
    notifydb.fan_out_notification(
        '00000000-0000-0000-0000-000000004032',
        ARRAY['00000000-0000-0000-0000-0000000000c6', '00000000-0000-0000-0000-0000000000c7']::uuid[],
        'T', 'in app', 'm'
    ),
    2::bigint, 'an in_app fan-out creates its rows'
);
SELECT is(
    (SELECT count(*) FROM pg_temp.jobs_of('00000000-0000-0000-0000-000000004032')), 6::bigint,
    'and writes no job'
);

SELECT * FROM finish();
ROLLBACK;
