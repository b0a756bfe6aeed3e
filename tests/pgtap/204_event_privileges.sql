-- Who may call the event functions: notifydb_app records; notifydb_admin also lists, resolves, summarises.
BEGIN;
SELECT plan(24);

SELECT is_definer(
    'notifydb', 'record_event', ARRAY['text', 'text', 'text', 'jsonb', 'uuid', 'uuid', 'text'],
    'record_event is SECURITY DEFINER'
);
SELECT is_definer(
    'notifydb', 'record_event_returning', ARRAY['text', 'text', 'text', 'jsonb', 'uuid', 'uuid', 'text'],
    'record_event_returning is SECURITY DEFINER'
);
SELECT is_definer('notifydb', 'resolve_event', ARRAY['bigint', 'uuid'], 'resolve_event is SECURITY DEFINER');
SELECT is_definer(
    'notifydb', 'list_events', ARRAY['uuid', 'text', 'boolean', 'integer', 'bigint'],
    'list_events is SECURITY DEFINER'
);
SELECT is_definer('notifydb', 'event_summary', ARRAY['uuid'], 'event_summary is SECURITY DEFINER');
SELECT function_returns(
    'notifydb', 'list_events', ARRAY['uuid', 'text', 'boolean', 'integer', 'bigint'],
    'setof notifydb.admin_system_events', 'list_events returns SETOF notifydb.admin_system_events'
);

-- EXECUTE as granted, role by role (notifydb_admin holds notifydb_app).
SELECT results_eq(
    $$SELECT r.rolname, f.name,
          has_function_privilege(r.rolname, ('notifydb.' || f.name)::regprocedure, 'EXECUTE')
      FROM (VALUES ('notifydb_app'), ('notifydb_admin'), ('notifydb_retention'), ('notifydb_delivery')) AS r (rolname)
      CROSS JOIN (VALUES
          ('record_event(text, text, text, jsonb, uuid, uuid, text)'),
          ('record_event_returning(text, text, text, jsonb, uuid, uuid, text)'),
          ('resolve_event(bigint, uuid)'),
          ('list_events(uuid, text, boolean, integer, bigint)'),
          ('event_summary(uuid)')
      ) AS f (name)
      ORDER BY r.rolname COLLATE "C", f.name COLLATE "C"$$,
    $$VALUES
        ('notifydb_admin', 'event_summary(uuid)', true),
        ('notifydb_admin', 'list_events(uuid, text, boolean, integer, bigint)', true),
        ('notifydb_admin', 'record_event(text, text, text, jsonb, uuid, uuid, text)', true),
        ('notifydb_admin', 'record_event_returning(text, text, text, jsonb, uuid, uuid, text)', true),
        ('notifydb_admin', 'resolve_event(bigint, uuid)', true),
        ('notifydb_app', 'event_summary(uuid)', false),
        ('notifydb_app', 'list_events(uuid, text, boolean, integer, bigint)', false),
        ('notifydb_app', 'record_event(text, text, text, jsonb, uuid, uuid, text)', true),
        ('notifydb_app', 'record_event_returning(text, text, text, jsonb, uuid, uuid, text)', true),
        ('notifydb_app', 'resolve_event(bigint, uuid)', false),
        ('notifydb_delivery', 'event_summary(uuid)', false),
        ('notifydb_delivery', 'list_events(uuid, text, boolean, integer, bigint)', false),
        ('notifydb_delivery', 'record_event(text, text, text, jsonb, uuid, uuid, text)', false),
        ('notifydb_delivery', 'record_event_returning(text, text, text, jsonb, uuid, uuid, text)', false),
        ('notifydb_delivery', 'resolve_event(bigint, uuid)', false),
        ('notifydb_retention', 'event_summary(uuid)', false),
        ('notifydb_retention', 'list_events(uuid, text, boolean, integer, bigint)', false),
        ('notifydb_retention', 'record_event(text, text, text, jsonb, uuid, uuid, text)', false),
        ('notifydb_retention', 'record_event_returning(text, text, text, jsonb, uuid, uuid, text)', false),
        ('notifydb_retention', 'resolve_event(bigint, uuid)', false)$$,
    'EXECUTE on the event functions is exactly as the contract says'
);

CREATE TEMP TABLE ev (id bigint) ON COMMIT DROP;
GRANT ALL ON ev TO public;

-- notifydb_app: records, and nothing else.
SET LOCAL ROLE notifydb_app;
SELECT lives_ok(
    $$INSERT INTO ev SELECT notifydb.record_event('job_failure', 'high', 'd', '{"k": 1}', gen_random_uuid())$$,
    'notifydb_app may record an event'
);
SELECT lives_ok(
    $$SELECT * FROM notifydb.record_event_returning('job_failure', 'high', 'd', '{"k": 1}', gen_random_uuid())$$,
    'notifydb_app may record an event and see what it became'
);
SELECT throws_ok($$SELECT * FROM notifydb.list_events()$$, '42501', NULL, 'notifydb_app may not list events');
SELECT throws_ok(
    $$SELECT notifydb.resolve_event((SELECT id FROM ev), gen_random_uuid())$$,
    '42501', NULL, 'notifydb_app may not resolve an event'
);
SELECT throws_ok($$SELECT * FROM notifydb.event_summary()$$, '42501', NULL, 'notifydb_app may not summarise');
SELECT throws_ok($$SELECT * FROM notifydb.event_daily_counts$$, '42501', NULL, 'notifydb_app may not read daily counts');
SELECT throws_ok($$SELECT * FROM notifydb.admin_system_events$$, '42501', NULL, 'notifydb_app may not read the table');
SELECT throws_ok(
    $$UPDATE notifydb.admin_system_events SET is_resolved = true$$,
    '42501', NULL, 'notifydb_app may not update the table'
);
RESET ROLE;

-- notifydb_admin: all of it, still not the table.
SET LOCAL ROLE notifydb_admin;
SELECT lives_ok(
    $$INSERT INTO ev SELECT notifydb.record_event('job_failure', 'low', 'd')$$,
    'notifydb_admin may record an event'
);
SELECT ok(
    (
        SELECT count(*) FROM notifydb.list_events(NULL, NULL, FALSE, 100)
        WHERE id IN (SELECT id FROM ev)
    ) = 2,
    'notifydb_admin may list events'
);
SELECT ok(notifydb.resolve_event((SELECT min(id) FROM ev), gen_random_uuid()), 'notifydb_admin may resolve');
SELECT is((SELECT count(*) FROM notifydb.event_summary()), 4::bigint, 'notifydb_admin may summarise');
SELECT lives_ok($$SELECT * FROM notifydb.event_daily_counts$$, 'notifydb_admin may read daily counts');
SELECT throws_ok($$SELECT * FROM notifydb.admin_system_events$$, '42501', NULL, 'notifydb_admin may not read the table');
SELECT throws_ok(
    $$DELETE FROM notifydb.admin_system_events$$, '42501', NULL, 'notifydb_admin may not delete from the table'
);
SELECT throws_ok(
    $$INSERT INTO notifydb.admin_system_events (event_type, severity, description) VALUES ('t', 'low', 'd')$$,
    '42501', NULL, 'notifydb_admin may not insert into the table'
);
RESET ROLE;

-- Other roles cannot record.
SET LOCAL ROLE notifydb_retention;
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', 'd')$$, '42501', NULL, 'notifydb_retention may not record'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
