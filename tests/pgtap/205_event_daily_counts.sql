-- event_daily_counts: aggregates per UTC day, type and severity, readable by notifydb_admin only.
BEGIN;
SELECT plan(8);

SELECT has_view('notifydb', 'event_daily_counts', 'the daily counts view exists');
SELECT view_owner_is('notifydb', 'event_daily_counts', 'notifydb_owner', 'notifydb_owner owns it');
SELECT ok(
    (
        SELECT 'security_barrier=true' = any(c.reloptions) FROM pg_catalog.pg_class AS c
        WHERE c.oid = 'notifydb.event_daily_counts'::regclass
    ),
    'it is a security barrier view'
);
SELECT results_eq(
    $$SELECT a.grantee::regrole::text, a.privilege_type
      FROM pg_catalog.pg_class AS c, pg_catalog.aclexplode(c.relacl) AS a
      WHERE c.oid = 'notifydb.event_daily_counts'::regclass AND a.grantee <> c.relowner$$,
    $$VALUES ('notifydb_admin', 'SELECT')$$,
    'the only grant on it is SELECT to notifydb_admin'
);
SELECT is_empty(
    $$SELECT r.rolname FROM (VALUES ('notifydb_app'), ('notifydb_retention'), ('notifydb_delivery')) AS r (rolname)
      WHERE has_table_privilege(r.rolname, 'notifydb.event_daily_counts', 'SELECT')$$,
    'no other notifydb role may read it'
);
SELECT columns_are(
    'notifydb', 'event_daily_counts', ARRAY['day', 'event_type', 'severity', 'events', 'occurrences', 'resolved'],
    'it exposes only aggregates: no tenant, user, description or details'
);

-- Two days of one type, by UTC day; repeats count as occurrences.
INSERT INTO notifydb.admin_system_events (event_type, severity, description, created_at, occurrences, is_resolved, resolved_at)
VALUES
('pgtap_205_type', 'high', 'd', '2026-01-01 23:30+00', 5, TRUE, now()),
('pgtap_205_type', 'high', 'd', '2026-01-02 00:30+01', 1, FALSE, NULL),
('pgtap_205_type', 'low', 'd', '2026-01-02 12:00+00', 2, FALSE, NULL),
('pgtap_205_type', 'high', 'd', '2026-01-02 13:00+00', 1, TRUE, now());
SET LOCAL ROLE notifydb_admin;
SELECT results_eq(
    $$SELECT day, severity, events, occurrences, resolved FROM notifydb.event_daily_counts
      WHERE event_type = 'pgtap_205_type' ORDER BY day, severity$$,
    $$VALUES
        (date '2026-01-01', 'high', 2::bigint, 6::bigint, 1::bigint),
        (date '2026-01-02', 'high', 1::bigint, 1::bigint, 1::bigint),
        (date '2026-01-02', 'low', 1::bigint, 2::bigint, 0::bigint)$$,
    'counts per UTC day, type and severity, with occurrences and resolved'
);
RESET ROLE;
SET LOCAL ROLE notifydb_app;
SELECT throws_ok($$SELECT * FROM notifydb.event_daily_counts$$, '42501', NULL, 'notifydb_app may not read it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
