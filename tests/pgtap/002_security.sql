-- Ownership and privileges: notifydb_owner owns everything, tables are
-- private, functions are not callable by PUBLIC, definer functions pin
-- search_path, and the application roles cannot touch the tables.
BEGIN;
SELECT plan(17);

SELECT is_empty(
    $$SELECT c.relname FROM pg_catalog.pg_class AS c
      WHERE c.relnamespace = 'notifydb'::regnamespace
        AND c.relowner <> 'notifydb_owner'::regrole$$,
    'every table, index, view and sequence in notifydb is owned by notifydb_owner'
);
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
      WHERE p.pronamespace = 'notifydb'::regnamespace
        AND p.proowner <> 'notifydb_owner'::regrole$$,
    'every function and procedure in notifydb is owned by notifydb_owner'
);
SELECT schema_owner_is('notifydb', 'notifydb_owner', 'notifydb_owner owns the schema');

SELECT is_empty(
    $$SELECT c.relname || ' to ' || a.grantee::regrole::text
      FROM pg_catalog.pg_class AS c, pg_catalog.aclexplode(c.relacl) AS a
      WHERE c.relnamespace = 'notifydb'::regnamespace
        AND a.grantee <> c.relowner
        -- The OLAP view of daily event counts is granted to notifydb_admin
        -- (tests/pgtap/205_event_daily_counts.sql checks exactly that).
        AND NOT (c.relkind = 'v' AND c.relname = 'event_daily_counts'
                 AND a.grantee = 'notifydb_admin'::regrole AND a.privilege_type = 'SELECT')$$,
    'no privilege on any table is granted to anyone but the owner'
);
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
      WHERE p.pronamespace = 'notifydb'::regnamespace
        AND (p.proacl IS NULL
             OR EXISTS (SELECT FROM pg_catalog.aclexplode(p.proacl) AS a WHERE a.grantee = 0))$$,
    'no function or procedure is executable by PUBLIC'
);
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
      WHERE p.pronamespace = 'notifydb'::regnamespace
        AND p.prosecdef
        AND NOT EXISTS (
            SELECT FROM unnest(p.proconfig) AS setting
            WHERE setting LIKE 'search_path=%' AND setting NOT LIKE '%public%'
        )$$,
    'every SECURITY DEFINER function pins a search_path without public'
);

SELECT is(
    (
        SELECT count(*) FROM pg_catalog.pg_roles
        WHERE rolname IN ('notifydb_owner', 'notifydb_app', 'notifydb_admin', 'notifydb_retention', 'notifydb_delivery')
            AND NOT rolcanlogin
    ),
    5::bigint, 'the five roles exist and none can log in'
);
SELECT ok(pg_has_role('notifydb_admin', 'notifydb_app', 'MEMBER'), 'notifydb_admin may do what notifydb_app may');
SELECT ok(NOT has_schema_privilege('public', 'notifydb', 'USAGE'), 'PUBLIC has no usage on the schema');

-- A role holding only notifydb_app tries every kind of table access.
SET LOCAL ROLE notifydb_app;
SELECT throws_ok('SELECT * FROM notifydb.notifications', '42501', NULL, 'notifydb_app cannot SELECT');
SELECT throws_ok(
    $$INSERT INTO notifydb.notifications (tenant_id, type, title, message)
      VALUES (gen_random_uuid(), 'T', 't', 'm')$$,
    '42501', NULL, 'notifydb_app cannot INSERT'
);
SELECT throws_ok('UPDATE notifydb.notifications SET is_read = true', '42501', NULL, 'notifydb_app cannot UPDATE');
SELECT throws_ok('DELETE FROM notifydb.notifications', '42501', NULL, 'notifydb_app cannot DELETE');
SELECT throws_ok('SELECT * FROM notifydb.admin_system_events', '42501', NULL, 'notifydb_app cannot read events');
SELECT throws_ok('DELETE FROM notifydb.retention_policy', '42501', NULL, 'notifydb_app cannot change the policy');
SELECT throws_ok('SELECT * FROM notifydb.schema_history', '42501', NULL, 'notifydb_app cannot read the history');
RESET ROLE;

-- The other roles get nothing on the tables either.
SELECT is_empty(
    $$SELECT r.rolname || ' on ' || c.relname
      FROM pg_catalog.pg_class AS c
      CROSS JOIN (VALUES ('notifydb_admin'), ('notifydb_retention'), ('notifydb_delivery')) AS r (rolname)
      CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS p (privilege)
      WHERE c.relnamespace = 'notifydb'::regnamespace AND c.relkind IN ('r', 'p')
        AND pg_catalog.has_table_privilege(r.rolname, c.oid, p.privilege)$$,
    'notifydb_admin, notifydb_retention and notifydb_delivery have no table privileges'
);

SELECT * FROM finish();
ROLLBACK;
