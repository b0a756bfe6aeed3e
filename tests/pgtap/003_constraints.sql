-- The CHECK constraints are the backstop behind the functions' 22023 errors:
-- each refuses a bad row even from the owner, by its own name. (001_schema.sql
-- covers channel, title and message's other bounds, data, is_read, severity
-- and details.)
BEGIN;
SELECT plan(22);

-- notifications
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message)
      VALUES (gen_random_uuid(), '', 't', 'm')$$,
    '23514', 'new row for relation "notifications" violates check constraint "notifications_type_length"',
    'type may not be empty'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message)
      VALUES (gen_random_uuid(), 'T', '', 'm')$$,
    '23514', 'new row for relation "notifications" violates check constraint "notifications_title_length"',
    'title may not be empty'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message)
      VALUES (gen_random_uuid(), 'T', 't', repeat('m', 2001))$$,
    '23514', 'new row for relation "notifications" violates check constraint "notifications_message_length"',
    'message is at most 2,000 characters'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message, dedupe_key)
      VALUES (gen_random_uuid(), 'T', 't', 'm', '')$$,
    '23514', 'new row for relation "notifications" violates check constraint "notifications_dedupe_key_length"',
    'dedupe_key may not be empty'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message, dedupe_key)
      VALUES (gen_random_uuid(), 'T', 't', 'm', repeat('k', 201))$$,
    '23514', 'new row for relation "notifications" violates check constraint "notifications_dedupe_key_length"',
    'dedupe_key is at most 200 characters'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message, read_at)
      VALUES (gen_random_uuid(), 'T', 't', 'm', now())$$,
    '23514',
    'new row for relation "notifications" violates check constraint "notifications_read_at_matches_is_read"',
    'an unread notification has no read_at'
);

-- admin_system_events
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description)
      VALUES ('', 'low', 'd')$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint "admin_system_events_event_type_length"',
    'event_type may not be empty'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description)
      VALUES (repeat('e', 101), 'low', 'd')$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint "admin_system_events_event_type_length"',
    'event_type is at most 100 characters'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description)
      VALUES ('quota_reached', 'low', '')$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint "admin_system_events_description_length"',
    'description may not be empty'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description)
      VALUES ('quota_reached', 'low', repeat('d', 2001))$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint "admin_system_events_description_length"',
    'description is at most 2,000 characters'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description, fingerprint)
      VALUES ('quota_reached', 'low', 'd', '')$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint "admin_system_events_fingerprint_length"',
    'fingerprint may not be empty'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description, fingerprint)
      VALUES ('quota_reached', 'low', 'd', repeat('f', 201))$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint "admin_system_events_fingerprint_length"',
    'fingerprint is at most 200 characters'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description, occurrences)
      VALUES ('quota_reached', 'low', 'd', 0)$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint "admin_system_events_occurrences_positive"',
    'occurrences is at least 1'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description, is_resolved)
      VALUES ('quota_reached', 'low', 'd', true)$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint '
    || '"admin_system_events_resolved_at_matches_is_resolved"',
    'a resolved event has resolved_at'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description, resolved_at)
      VALUES ('quota_reached', 'low', 'd', now())$$,
    '23514',
    'new row for relation "admin_system_events" violates check constraint '
    || '"admin_system_events_resolved_at_matches_is_resolved"',
    'an open event has no resolved_at'
);

-- retention_policy: one row.
SELECT throws_ok(
    $$INSERT INTO notifydb.retention_policy (singleton) VALUES (false)$$,
    '23514', 'new row for relation "retention_policy" violates check constraint "retention_policy_one_row"',
    'the policy row is the singleton row'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.retention_policy DEFAULT VALUES$$,
    '23505', NULL,
    'there is no second policy row'
);

-- The guard trigger answers bad intervals first (22023, see 001_schema.sql);
-- with triggers off (replica mode, this transaction only) the CHECKs still hold.
SET LOCAL session_replication_role = replica;
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET notification_max_age = interval '0'$$,
    '23514',
    'new row for relation "retention_policy" violates check constraint '
    || '"retention_policy_notification_max_age_positive"',
    'notification_max_age is positive'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET deleted_grace = interval '-1 day'$$,
    '23514',
    'new row for relation "retention_policy" violates check constraint "retention_policy_deleted_grace_positive"',
    'deleted_grace is positive'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET event_max_age = interval '89 days'$$,
    '23514',
    'new row for relation "retention_policy" violates check constraint "retention_policy_event_max_age_range"',
    'event_max_age is at least 90 days'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET event_max_age = interval '366 days'$$,
    '23514',
    'new row for relation "retention_policy" violates check constraint "retention_policy_event_max_age_range"',
    'event_max_age is at most 365 days'
);
RESET session_replication_role;
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET deleted_grace = interval '0'$$,
    '22023', NULL,
    'with triggers back on, the guard answers first again'
);

SELECT * FROM finish();
ROLLBACK;
