-- The tables keep every seed column with its type, add the contract's
-- columns and constraints, carry their indexes, and everything is commented.
BEGIN;
SELECT plan(67);

SELECT has_schema('notifydb');
SELECT has_table('notifydb', 'notifications', 'notifications exists');
SELECT has_table('notifydb', 'admin_system_events', 'admin_system_events exists');
SELECT has_table('notifydb', 'retention_policy', 'retention_policy exists');
SELECT has_table('notifydb', 'schema_history', 'schema_history exists');

-- Seed columns of notifications, with the seed's types.
SELECT col_type_is('notifydb', 'notifications', 'id', 'uuid', 'notifications.id is uuid');
SELECT col_is_pk('notifydb', 'notifications', ARRAY['tenant_id', 'id'], 'tenant_id, id is the primary key');
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

-- Indexes of the tables' keys and the history table, definition and all (later
-- migrations' indexes are checked by their features' files).
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.notifications_pkey')),
    'CREATE UNIQUE INDEX notifications_pkey ON notifydb.notifications USING btree (tenant_id, id)',
    'notifications_pkey is on tenant_id, id'
);
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.notifications_inbox_idx')),
    'CREATE INDEX notifications_inbox_idx ON notifydb.notifications USING btree '
    || '(tenant_id, inbox_key, created_at DESC, id DESC)',
    'notifications_inbox_idx: tenant, inbox, newest first, id breaking ties'
);
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.notifications_dedupe_key_idx')),
    'CREATE UNIQUE INDEX notifications_dedupe_key_idx ON notifydb.notifications USING btree '
    || '(tenant_id, inbox_key, dedupe_key) WHERE (dedupe_key IS NOT NULL)',
    'notifications_dedupe_key_idx: unique per inbox, tenant-level inbox included'
);
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.admin_system_events_pkey')),
    'CREATE UNIQUE INDEX admin_system_events_pkey ON notifydb.admin_system_events USING btree (id)',
    'admin_system_events_pkey is on id'
);
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.admin_system_events_open_fingerprint_idx')),
    'CREATE UNIQUE INDEX admin_system_events_open_fingerprint_idx ON notifydb.admin_system_events USING btree '
    || '(tenant_id, fingerprint) NULLS NOT DISTINCT WHERE ((fingerprint IS NOT NULL) AND (NOT is_resolved))',
    'admin_system_events_open_fingerprint_idx: one open event per tenant and fingerprint'
);
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.retention_policy_pkey')),
    'CREATE UNIQUE INDEX retention_policy_pkey ON notifydb.retention_policy USING btree (singleton)',
    'retention_policy_pkey is on singleton'
);
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.schema_history_pkey')),
    'CREATE UNIQUE INDEX schema_history_pkey ON notifydb.schema_history USING btree (installed_rank)',
    'schema_history_pkey is on installed_rank'
);
SELECT is(
    pg_catalog.pg_get_indexdef(pg_catalog.to_regclass('notifydb.schema_history_applied_version_idx')),
    'CREATE UNIQUE INDEX schema_history_applied_version_idx ON notifydb.schema_history USING btree (version) '
    || 'WHERE ((kind = ''versioned''::text) AND success)',
    'schema_history_applied_version_idx: a version succeeds at most once'
);
SELECT is_empty(
    $$SELECT c.relname FROM pg_catalog.pg_index AS i
      INNER JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
      WHERE c.relnamespace = 'notifydb'::regnamespace
        AND (NOT i.indisvalid OR NOT i.indisready OR NOT i.indislive
             OR c.relowner <> 'notifydb_owner'::regrole)$$,
    'every index in notifydb is valid and owned by notifydb_owner'
);

-- COMMENT ON everything, found in the catalog so new objects are covered too.
SELECT is_empty(
    $$SELECT c.relname FROM pg_catalog.pg_class AS c
      WHERE c.relnamespace = 'notifydb'::regnamespace
        AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL$$,
    'every table and view in notifydb has a comment'
);
SELECT is_empty(
    $$SELECT c.relname || '.' || a.attname
      FROM pg_catalog.pg_class AS c
      INNER JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid
      WHERE c.relnamespace = 'notifydb'::regnamespace
        AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND a.attnum > 0 AND NOT a.attisdropped
        AND pg_catalog.col_description(c.oid, a.attnum) IS NULL$$,
    'every column of every table and view in notifydb has a comment'
);
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
      WHERE p.pronamespace = 'notifydb'::regnamespace
        AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function and procedure in notifydb has a comment'
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
CREATE TEMPORARY TABLE v7 (made integer, id uuid);
WITH first AS (
    INSERT INTO notifydb.notifications (tenant_id, type, title, message)
    VALUES (gen_random_uuid(), 'T', 'first', 'message')
    RETURNING id
)

INSERT INTO v7 (made, id)
SELECT
    1 AS made,
    first.id
FROM first;
SELECT pg_sleep(0.002);
WITH second AS (
    INSERT INTO notifydb.notifications (tenant_id, type, title, message)
    VALUES (gen_random_uuid(), 'T', 'second', 'message')
    RETURNING id
)

INSERT INTO v7 (made, id)
SELECT
    2 AS made,
    second.id
FROM second;
SELECT ok(
    (
        SELECT v7.id FROM v7
        WHERE v7.made = 1
    ) < (
        SELECT v7.id FROM v7
        WHERE v7.made = 2
    ),
    'ids made later sort later'
);
SELECT is(
    (SELECT DISTINCT substr(id::text, 15, 1) FROM v7), '7', 'ids are version 7 UUIDs'
);

SELECT * FROM finish();
ROLLBACK;
