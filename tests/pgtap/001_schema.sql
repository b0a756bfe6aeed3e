-- The tables keep every seed column with its type, add the contract's
-- columns and constraints, and carry their indexes.
BEGIN;
SELECT plan(58);

SELECT has_schema('notifydb');
SELECT has_table('notifydb', 'notifications', 'notifications exists');
SELECT has_table('notifydb', 'admin_system_events', 'admin_system_events exists');
SELECT has_table('notifydb', 'retention_policy', 'retention_policy exists');
SELECT has_table('notifydb', 'schema_history', 'schema_history exists');

-- Seed columns of notifications, with the seed's types.
SELECT col_type_is('notifydb', 'notifications', 'id', 'uuid', 'notifications.id is uuid');
SELECT col_is_pk('notifydb', 'notifications', 'id', 'notifications.id is the primary key');
SELECT col_type_is('notifydb', 'notifications', 'user_id', 'uuid', 'notifications.user_id is uuid');
SELECT col_is_null('notifydb', 'notifications', 'user_id', 'user_id may be NULL (tenant-level)');
SELECT col_type_is('notifydb', 'notifications', 'tenant_id', 'uuid', 'notifications.tenant_id is uuid');
SELECT col_not_null('notifydb', 'notifications', 'tenant_id', 'tenant_id is NOT NULL');
SELECT col_type_is('notifydb', 'notifications', 'type', 'character varying(100)', 'type is varchar(100)');
SELECT col_type_is('notifydb', 'notifications', 'title', 'text', 'title is text');
SELECT col_type_is('notifydb', 'notifications', 'message', 'text', 'message is text');
SELECT col_type_is('notifydb', 'notifications', 'channel', 'character varying(20)', 'channel is varchar(20)');
SELECT col_type_is('notifydb', 'notifications', 'is_read', 'boolean', 'is_read is boolean');
SELECT col_not_null('notifydb', 'notifications', 'is_read', 'is_read is NOT NULL');
SELECT col_default_is('notifydb', 'notifications', 'is_read', 'false', 'is_read defaults to false');
SELECT col_type_is('notifydb', 'notifications', 'created_at', 'timestamp with time zone', 'created_at is timestamptz');
SELECT col_not_null('notifydb', 'notifications', 'created_at', 'created_at is NOT NULL');
SELECT col_type_is('notifydb', 'notifications', 'read_at', 'timestamp with time zone', 'read_at is timestamptz');
SELECT col_type_is('notifydb', 'notifications', 'expires_at', 'timestamp with time zone', 'expires_at is timestamptz');
SELECT col_type_is('notifydb', 'notifications', 'deleted_at', 'timestamp with time zone', 'deleted_at is timestamptz');
-- Columns the contract adds.
SELECT col_type_is('notifydb', 'notifications', 'data', 'jsonb', 'data is jsonb');
SELECT col_type_is('notifydb', 'notifications', 'dedupe_key', 'text', 'dedupe_key is text');

-- Seed columns of admin_system_events, with the seed's types.
SELECT col_type_is('notifydb', 'admin_system_events', 'id', 'bigint', 'events.id is bigint');
SELECT col_is_pk('notifydb', 'admin_system_events', 'id', 'events.id is the primary key');
SELECT is(
    (
        SELECT attidentity::text FROM pg_catalog.pg_attribute
        WHERE attrelid = 'notifydb.admin_system_events'::regclass AND attname = 'id'
    ),
    'a', 'events.id is GENERATED ALWAYS AS IDENTITY'
);
SELECT col_type_is('notifydb', 'admin_system_events', 'created_at', 'timestamp with time zone', 'events.created_at');
SELECT col_not_null('notifydb', 'admin_system_events', 'created_at', 'events.created_at is NOT NULL');
SELECT col_type_is('notifydb', 'admin_system_events', 'event_type', 'text', 'event_type is text');
SELECT col_type_is('notifydb', 'admin_system_events', 'severity', 'text', 'severity is text');
SELECT col_type_is('notifydb', 'admin_system_events', 'description', 'text', 'description is text');
SELECT col_type_is('notifydb', 'admin_system_events', 'details', 'jsonb', 'details is jsonb');
SELECT col_type_is('notifydb', 'admin_system_events', 'tenant_id', 'uuid', 'events.tenant_id is uuid');
SELECT col_type_is('notifydb', 'admin_system_events', 'user_id', 'uuid', 'events.user_id is uuid');
SELECT col_type_is('notifydb', 'admin_system_events', 'is_resolved', 'boolean', 'is_resolved is boolean');
SELECT col_not_null('notifydb', 'admin_system_events', 'is_resolved', 'is_resolved is NOT NULL');
SELECT col_type_is('notifydb', 'admin_system_events', 'resolved_at', 'timestamp with time zone', 'resolved_at');
SELECT col_type_is('notifydb', 'admin_system_events', 'resolved_by', 'uuid', 'resolved_by is uuid');
SELECT col_type_is('notifydb', 'admin_system_events', 'fingerprint', 'text', 'fingerprint is text');
SELECT col_type_is('notifydb', 'admin_system_events', 'occurrences', 'integer', 'occurrences is integer');
SELECT col_type_is('notifydb', 'admin_system_events', 'last_seen_at', 'timestamp with time zone', 'last_seen_at');

-- Constraints: bad rows are refused even by the owner.
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message, channel)
      VALUES (gen_random_uuid(), 'T', 'title', 'message', 'sms')$$,
    '23514', NULL, 'channel must be in_app, email or push'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message)
      VALUES (gen_random_uuid(), 'T', repeat('x', 201), 'message')$$,
    '23514', NULL, 'title is at most 200 characters'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message)
      VALUES (gen_random_uuid(), 'T', 'title', '')$$,
    '23514', NULL, 'message may not be empty'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message, data)
      VALUES (gen_random_uuid(), 'T', 'title', 'message', '[1, 2]')$$,
    '23514', NULL, 'data must be a JSON object'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message, data)
      VALUES (gen_random_uuid(), 'T', 'title', 'message', jsonb_build_object('k', repeat('x', 4100)))$$,
    '23514', NULL, 'data is at most 4 KB'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message, is_read)
      VALUES (gen_random_uuid(), 'T', 'title', 'message', true)$$,
    '23514', NULL, 'a read notification has read_at'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description)
      VALUES ('quota_reached', 'urgent', 'd')$$,
    '23514', NULL, 'severity must be low, medium, high or critical'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description, details)
      VALUES ('quota_reached', 'low', 'd', jsonb_build_object('k', repeat('x', 8200)))$$,
    '23514', NULL, 'details is at most 8 KB'
);

-- Indexes.
SELECT has_index('notifydb', 'notifications', 'notifications_inbox_idx', 'inbox index exists');
SELECT index_is_unique('notifydb', 'notifications', 'notifications_dedupe_key_idx', 'dedupe index is unique');
SELECT index_is_unique(
    'notifydb', 'admin_system_events', 'admin_system_events_open_fingerprint_idx', 'open fingerprint is unique'
);

-- The one-row policy with the contract's defaults.
SELECT results_eq(
    $$SELECT notification_max_age, deleted_grace, event_max_age FROM notifydb.retention_policy$$,
    $$VALUES (interval '90 days', interval '7 days', interval '180 days')$$,
    'retention_policy has one row with the defaults'
);
SELECT throws_ok(
    $$UPDATE notifydb.retention_policy SET event_max_age = interval '30 days'$$,
    '22023', NULL, 'event_max_age must be 90..365 days (the retention_policy trigger raises 22023 before the CHECK)'
);

-- uuid v7: time-ordered ids.
SELECT ok(
    notifydb._uuid_v7(timestamptz '2026-01-01') < notifydb._uuid_v7(timestamptz '2026-01-02'),
    'ids made later sort later'
);
SELECT is(
    substr(notifydb._uuid_v7()::text, 15, 1), '7', 'ids are version 7 UUIDs'
);

SELECT * FROM finish();
ROLLBACK;
