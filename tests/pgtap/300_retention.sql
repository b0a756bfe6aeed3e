-- Retention inside one transaction: indexes, the policy guard, the batch
-- functions and counts with explicit timestamps, and privileges. The
-- procedures COMMIT, so they are tested from pytest (tests/test_retention.py).
BEGIN;
SELECT plan(28);

SELECT has_index('notifydb', 'notifications', 'notifications_expires_at_idx', 'expires_at is indexed for purging');
SELECT has_index('notifydb', 'notifications', 'notifications_created_at_idx', 'created_at is indexed for purging');
SELECT has_index('notifydb', 'notifications', 'notifications_deleted_at_idx', 'deleted_at is indexed for purging');
SELECT has_index(
    'notifydb', 'admin_system_events', 'admin_system_events_created_at_idx', 'event creation time is indexed for purging'
);
SELECT is_empty(
    $$SELECT c.relname FROM pg_catalog.pg_index AS i
      JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
      WHERE i.indrelid = 'notifydb.admin_system_events'::regclass
        AND pg_catalog.pg_get_indexdef(i.indexrelid) ~ '(last_seen_at|occurrences|description|details)'$$,
    'no event index contains a column a fingerprint repeat changes, so repeats stay HOT updates'
);
SELECT is_empty(
    $$SELECT c.relname FROM pg_catalog.pg_index AS i
      JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
      WHERE c.relname IN ('notifications_expires_at_idx', 'notifications_created_at_idx', 'notifications_deleted_at_idx')
        AND pg_catalog.pg_get_indexdef(i.indexrelid) ~ '(is_read|read_at|seen_at)'$$,
    'no retention index contains is_read, read_at or seen_at'
);

-- The policy guard.
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET event_max_age = '30 days'$$,
    '22023', 'event_max_age must be between 90 days and 365 days, got 30 days',
    'an event_max_age below 90 days is rejected naming the setting'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET notification_max_age = '-5 days'$$,
    '22023', 'notification_max_age must be a positive interval, got -5 days',
    'a negative notification_max_age is rejected naming the setting'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET deleted_grace = '0'$$,
    '22023', 'deleted_grace must be a positive interval, got 00:00:00',
    'a zero deleted_grace is rejected naming the setting'
);
SELECT throws_ok(
    'DELETE FROM notifydb.retention_policy', '55000', 'notifydb.retention_policy must keep its one row',
    'the policy row cannot be deleted'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET event_max_age = '3 months'$$,
    '22023', 'event_max_age must be given in days (or hours, minutes, seconds), not months or years, got 3 mons',
    'an event_max_age in months is rejected: 3 months passes 90 days as an interval, yet may be 89 days'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET notification_max_age = '1 year'$$,
    '22023', 'notification_max_age must be given in days (or hours, minutes, seconds), not months or years, got 1 year',
    'a notification_max_age in years is rejected naming the setting'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET deleted_grace = '1 mon -20 days'$$,
    '22023', 'deleted_grace must be given in days (or hours, minutes, seconds), not months or years, got 1 mon -20 days',
    'a deleted_grace with a month part is rejected naming the setting'
);
SELECT lives_ok(
    $$UPDATE notifydb.retention_policy SET event_max_age = '365 days', notification_max_age = '2160 hours'$$,
    'values within the bounds, in days or hours, are accepted'
);
UPDATE notifydb.retention_policy SET event_max_age = DEFAULT, notification_max_age = DEFAULT;

-- The shared test database may hold rows other suites committed; the purge
-- counts below are about this file's rows alone (all rolled back at the end).
DELETE FROM notifydb.notifications;
DELETE FROM notifydb.admin_system_events;

-- Rows with explicit timestamps (default policy: 90 days, 7 days grace, 180 days for events).
INSERT INTO notifydb.notifications (tenant_id, type, title, message, created_at, expires_at, deleted_at)
VALUES
('00000000-0000-0000-0000-000000000301', 'T', 'expired', 'm', now() - interval '1 day', now() - interval '1 second', NULL),
('00000000-0000-0000-0000-000000000301', 'T', 'old', 'm', now() - interval '90 days 1 second', NULL, NULL),
(
    '00000000-0000-0000-0000-000000000301', 'T', 'deleted 8 days ago', 'm',
    now() - interval '9 days', NULL, now() - interval '8 days'
),
(
    '00000000-0000-0000-0000-000000000301', 'T', 'expired, old and deleted', 'm',
    now() - interval '200 days', now() - interval '100 days', now() - interval '150 days'
),
(
    '00000000-0000-0000-0000-000000000301', 'T', 'keep: expires later', 'm',
    now() - interval '1 day', now() + interval '1 hour', NULL
),
('00000000-0000-0000-0000-000000000301', 'T', 'keep: 89 days old', 'm', now() - interval '89 days', NULL, NULL),
(
    '00000000-0000-0000-0000-000000000301', 'T', 'keep: deleted 6 days ago', 'm',
    now() - interval '9 days', NULL, now() - interval '6 days'
);

INSERT INTO notifydb.admin_system_events
(event_type, severity, description, created_at, last_seen_at, is_resolved, resolved_at)
VALUES
('t', 'low', 'old', now() - interval '181 days', now() - interval '181 days', FALSE, NULL),
('t', 'low', 'resolved long ago', now() - interval '300 days', now() - interval '300 days', TRUE, now() - interval '200 days'),
('t', 'low', 'keep: seen lately', now() - interval '300 days', now() - interval '1 day', FALSE, NULL),
('t', 'low', 'keep: resolved lately', now() - interval '300 days', now() - interval '300 days', TRUE, now() - interval '1 day'),
('t', 'low', 'keep: young', now() - interval '179 days', now() - interval '179 days', FALSE, NULL);

SELECT results_eq(
    'SELECT notifications, events FROM notifydb._retention_due_counts(now())',
    $$VALUES (4::bigint, 2::bigint)$$,
    'the dry-run count finds 4 notifications (one due for three reasons, counted once) and 2 events'
);
SELECT is(
    notifydb._purge_notifications_batch(now(), 2), 2::bigint, 'a batch deletes at most p_batch_size notifications'
);
SELECT is(notifydb._purge_notifications_batch(now(), 100), 2::bigint, 'the next batch deletes the rest');
SELECT is(notifydb._purge_notifications_batch(now(), 100), 0::bigint, 'then nothing is due');
SELECT set_eq(
    $$SELECT title FROM notifydb.notifications WHERE tenant_id = '00000000-0000-0000-0000-000000000301'$$,
    ARRAY['keep: expires later', 'keep: 89 days old', 'keep: deleted 6 days ago'],
    'exactly the notifications that are not due stay'
);
SELECT is(
    (SELECT b.deleted FROM notifydb._purge_events_batch(now(), 100) AS b), 2::bigint,
    'the events batch deletes the 2 due events'
);
SELECT set_eq(
    'SELECT description FROM notifydb.admin_system_events',
    ARRAY['keep: seen lately', 'keep: resolved lately', 'keep: young'],
    'exactly the events with recent activity stay'
);

SELECT throws_ok(
    'SELECT notifydb._purge_notifications_batch(now(), 0)', '22023',
    'p_batch_size must be between 1 and 100000, got 0', 'a zero batch size is rejected'
);
SELECT throws_like(
    $$SELECT * FROM notifydb._purge_events_batch(now() + interval '1 day', 10)$$, 'p_now must be a time that is not in the future%',
    'a future p_now is rejected: it would purge rows that are not due'
);

-- Privileges: notifydb_retention may run retention and nothing more.
SELECT ok(
    pg_catalog.has_function_privilege(
        'notifydb_retention', 'notifydb.purge_notifications(integer, integer, bigint, timestamptz)', 'EXECUTE'
    )
    AND pg_catalog.has_function_privilege(
        'notifydb_retention', 'notifydb.purge_events(integer, integer, bigint, timestamptz)', 'EXECUTE'
    )
    AND pg_catalog.has_function_privilege('notifydb_retention', 'notifydb.run_retention()', 'EXECUTE'),
    'notifydb_retention may call the three procedures'
);
SELECT ok(
    NOT pg_catalog.has_function_privilege('notifydb_app', 'notifydb.run_retention()', 'EXECUTE')
    AND NOT pg_catalog.has_function_privilege(
        'notifydb_app', 'notifydb._purge_notifications_batch(timestamptz, integer)', 'EXECUTE'
    ),
    'notifydb_app may not run retention'
);
SELECT ok(
    NOT pg_catalog.has_function_privilege(
        'notifydb_retention',
        'notifydb._notifications_due(timestamptz, timestamptz, timestamptz, bigint, boolean)',
        'EXECUTE'
    ),
    'the due-row helpers are private to the owner'
);
SELECT is_empty(
    $$SELECT p.proname FROM pg_catalog.pg_proc AS p
      WHERE p.pronamespace = 'notifydb'::regnamespace AND p.prokind = 'p'
        AND (p.prosecdef OR p.proconfig IS NOT NULL)$$,
    'the procedures (they COMMIT) are neither SECURITY DEFINER nor carry SET options'
);
SELECT results_eq(
    $$SELECT p.prosecdef FROM pg_catalog.pg_proc AS p
      WHERE p.oid IN ('notifydb._purge_events_batch'::regproc, 'notifydb._purge_notifications_batch'::regproc)
      ORDER BY p.proname$$,
    $$VALUES (TRUE), (TRUE)$$,
    'the batch functions are SECURITY DEFINER, so notifydb_retention needs no table privileges'
);

SELECT * FROM finish();
ROLLBACK;
