-- Who may call what: the notification functions are SECURITY DEFINER with a
-- pinned search_path, executable by notifydb_app (and so notifydb_admin)
-- only; the private helpers and the counters table by nobody.
BEGIN;
SELECT plan(15);

CREATE TEMPORARY TABLE public_functions (signature regprocedure);
INSERT INTO public_functions VALUES
('notifydb.create_notification(uuid, uuid, text, text, text, text, timestamptz, jsonb, text)'),
('notifydb.fan_out_notification(uuid, uuid[], text, text, text, text, timestamptz, jsonb, text)'),
('notifydb.list_notifications(uuid, uuid, boolean, integer, timestamptz, uuid)'),
('notifydb.unread_count(uuid, uuid)'),
('notifydb.unseen_count(uuid, uuid)'),
('notifydb.mark_read(uuid, uuid, uuid[])'),
('notifydb.mark_unread(uuid, uuid, uuid[])'),
('notifydb.mark_all_read(uuid, uuid, timestamptz)'),
('notifydb.mark_seen(uuid, uuid, timestamptz)'),
('notifydb.delete_notifications(uuid, uuid, uuid[])');

SELECT is_empty(
    $$SELECT signature::text FROM public_functions AS f JOIN pg_catalog.pg_proc AS p ON p.oid = f.signature
      WHERE NOT p.prosecdef OR NOT 'search_path=pg_catalog, pg_temp' = ANY(p.proconfig)$$,
    'every notification function is SECURITY DEFINER with search_path pg_catalog, pg_temp'
);
SELECT is_empty(
    $$SELECT signature::text FROM public_functions WHERE NOT has_function_privilege('notifydb_app', signature, 'EXECUTE')$$,
    'notifydb_app may execute every notification function'
);
SELECT is_empty(
    $$SELECT signature::text FROM public_functions WHERE NOT has_function_privilege('notifydb_admin', signature, 'EXECUTE')$$,
    'notifydb_admin may execute every notification function'
);
SELECT is_empty(
    $$SELECT r || ' ' || signature::text FROM public_functions,
             (VALUES ('notifydb_retention'), ('notifydb_delivery')) AS roles (r)
      WHERE has_function_privilege(r, signature, 'EXECUTE')$$,
    'notifydb_retention and notifydb_delivery may not'
);
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p,
             (VALUES ('notifydb_app'), ('notifydb_admin'), ('notifydb_retention'), ('notifydb_delivery')) AS roles (r)
      WHERE p.pronamespace = 'notifydb'::regnamespace
        AND p.proname LIKE '\_%'
        -- retention's private steps are for notifydb_retention (300_retention)
        AND NOT (
            r = 'notifydb_retention'
            AND (p.proname LIKE '\_retention\_%' OR p.proname LIKE '\_purge\_%' OR p.proname = '_export_events_page')
        )
        AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
    'no role may execute a private helper'
);
SELECT is_empty(
    $$SELECT c.relname FROM pg_catalog.pg_class AS c
      WHERE c.relnamespace = 'notifydb'::regnamespace AND c.relname IN ('inbox_counters', 'notifications')
        AND obj_description(c.oid, 'pg_class') IS NULL$$,
    'the tables are commented'
);
SELECT is_empty(
    $$SELECT a.attname FROM pg_catalog.pg_attribute AS a
      WHERE a.attrelid IN ('notifydb.inbox_counters'::regclass, 'notifydb.notifications'::regclass)
        AND a.attnum > 0 AND NOT a.attisdropped AND col_description(a.attrelid, a.attnum) IS NULL$$,
    'every column is commented'
);
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
      WHERE p.pronamespace = 'notifydb'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function is commented'
);

-- Acting as the application role.
SET LOCAL ROLE notifydb_app;
SELECT isnt(
    notifydb.create_notification('a0000000-0000-4000-8000-000000000104', NULL, 'T', 'title', 'message'),
    NULL, 'notifydb_app creates a notification through the function'
);
SELECT is(notifydb.unread_count('a0000000-0000-4000-8000-000000000104', NULL), 1::bigint, 'and counts it');
SELECT throws_ok('SELECT * FROM notifydb.inbox_counters', '42501', NULL, 'notifydb_app cannot read the counters');
SELECT throws_ok('SELECT notifydb._rebuild_inbox_counters()', '42501', NULL, 'notifydb_app cannot rebuild the counters');
SELECT throws_ok(
    $$SELECT notifydb._announce('create', gen_random_uuid(), NULL, NULL, 1)$$,
    '42501', NULL, 'notifydb_app cannot send announcements of its own'
);
RESET ROLE;

SET LOCAL ROLE notifydb_retention;
SELECT throws_ok(
    $$SELECT notifydb.create_notification(gen_random_uuid(), NULL, 'T', 'title', 'message')$$,
    '42501', NULL, 'notifydb_retention cannot create notifications'
);
RESET ROLE;
SET LOCAL ROLE notifydb_delivery;
SELECT throws_ok(
    $$SELECT notifydb.unread_count(gen_random_uuid(), NULL)$$,
    '42501', NULL, 'notifydb_delivery cannot count notifications'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
