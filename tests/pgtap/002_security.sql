-- Ownership and privileges: notifydb_owner owns everything, tables are
-- private, functions are not callable by PUBLIC (by default privileges too),
-- definer functions pin search_path, and the application roles cannot touch
-- the tables.
BEGIN;
SELECT plan(21);

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
        AND NOT 'search_path=pg_catalog, pg_temp' = ANY (coalesce(p.proconfig, '{}'))$$,
    'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp (pg_temp last)'
);
-- A private helper (name starting with _) may leave search_path to its
-- callers, SECURITY DEFINER functions that pin it (a SET clause costs a GUC
-- save and restore per call); then no application role may call it.
-- (Retention's helpers run with the rights of notifydb_retention's caller.)
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text || ' to ' || a.grantee::regrole::text
      FROM pg_catalog.pg_proc AS p, pg_catalog.aclexplode(p.proacl) AS a
      WHERE p.pronamespace = 'notifydb'::regnamespace
        AND p.proname LIKE '\_%'
        AND NOT 'search_path=pg_catalog, pg_temp' = ANY (coalesce(p.proconfig, '{}'))
        AND a.grantee IN (
            'notifydb_app'::regrole, 'notifydb_admin'::regrole, 'notifydb_delivery'::regrole
        )$$,
    'no application role may call a helper that does not pin search_path'
);

SELECT is(
    (
        SELECT count(*) FROM pg_catalog.pg_roles
        WHERE rolname IN ('notifydb_owner', 'notifydb_app', 'notifydb_admin', 'notifydb_retention', 'notifydb_delivery')
            -- On Citus notifydb_owner must log in on the workers (docs/citus.md).
            AND (NOT rolcanlogin OR (rolname = 'notifydb_owner' AND notifydb._on_citus()))
    ),
    5::bigint, 'the five roles exist and none can log in (but notifydb_owner on Citus)'
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

-- LOGIN roles as a DBA makes them, each granted one notifydb role, have no
-- privilege on any table, view or sequence in notifydb (found in the
-- catalog, so new ones are covered), but for what is granted on purpose.
CREATE ROLE notifydb_pgtap_login_app LOGIN IN ROLE notifydb_app;
CREATE ROLE notifydb_pgtap_login_admin LOGIN IN ROLE notifydb_admin;
CREATE ROLE notifydb_pgtap_login_retention LOGIN IN ROLE notifydb_retention;
CREATE ROLE notifydb_pgtap_login_delivery LOGIN IN ROLE notifydb_delivery;
CREATE TEMPORARY VIEW login_roles (rolname) AS
VALUES
('notifydb_pgtap_login_app'),
('notifydb_pgtap_login_admin'),
('notifydb_pgtap_login_retention'),
('notifydb_pgtap_login_delivery');

SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.privilege || ' on ' || c.relname
      FROM pg_catalog.pg_class AS c
      CROSS JOIN login_roles AS r
      CROSS JOIN (
          VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')
      ) AS p (privilege)
      WHERE c.relnamespace = 'notifydb'::regnamespace
        AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND CASE
            -- these four can also be granted on single columns
            WHEN p.privilege IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
                THEN pg_catalog.has_any_column_privilege(r.rolname, c.oid, p.privilege)
            ELSE pg_catalog.has_table_privilege(r.rolname, c.oid, p.privilege)
        END
        -- The OLAP view of daily event counts is for dashboards.
        AND NOT (r.rolname = 'notifydb_pgtap_login_admin' AND c.relname = 'event_daily_counts'
                 AND p.privilege = 'SELECT')$$,
    'LOGIN roles granted notifydb_app, _admin, _retention or _delivery have no privilege on any table or view'
);
SELECT is_empty(
    $$SELECT r.rolname || ' ' || p.privilege || ' on ' || c.relname
      FROM pg_catalog.pg_class AS c
      CROSS JOIN login_roles AS r
      CROSS JOIN (VALUES ('USAGE'), ('SELECT'), ('UPDATE')) AS p (privilege)
      WHERE c.relnamespace = 'notifydb'::regnamespace AND c.relkind = 'S'
        AND pg_catalog.has_sequence_privilege(r.rolname, c.oid, p.privilege)$$,
    'nor on any sequence'
);
SELECT ok(
    pg_catalog.has_table_privilege(
        'notifydb_pgtap_login_admin', pg_catalog.to_regclass('notifydb.event_daily_counts'), 'SELECT'
    ),
    'the one exception holds: a LOGIN role granted notifydb_admin reads notifydb.event_daily_counts'
);

-- Default privileges, not each file's own REVOKE, keep a function that
-- notifydb_owner creates without any GRANT or REVOKE from PUBLIC.
SET LOCAL ROLE notifydb_owner;
CREATE FUNCTION notifydb.zz_default_privileges_probe() RETURNS integer
LANGUAGE sql AS $$ SELECT 1 $$;
RESET ROLE;
SELECT ok(
    NOT pg_catalog.has_function_privilege('public', 'notifydb.zz_default_privileges_probe()', 'EXECUTE'),
    'a new function of notifydb_owner is not executable by PUBLIC (ALTER DEFAULT PRIVILEGES)'
);

SELECT * FROM finish();
ROLLBACK;
