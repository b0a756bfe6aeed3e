-- event_summary: unresolved counts per severity, all four in order, per tenant or all.
BEGIN;
SELECT plan(5);

CREATE TEMP TABLE t (name text PRIMARY KEY, tenant_id uuid) ON COMMIT DROP;
INSERT INTO t VALUES ('a', gen_random_uuid()), ('b', gen_random_uuid()), ('empty', gen_random_uuid());
CREATE TEMP TABLE before ON COMMIT DROP AS SELECT * FROM notifydb.event_summary();

SELECT results_eq(
    $$SELECT * FROM notifydb.event_summary((SELECT tenant_id FROM t WHERE name = 'empty'))$$,
    $$VALUES ('low', 0::bigint), ('medium', 0::bigint), ('high', 0::bigint), ('critical', 0::bigint)$$,
    'a tenant without events gets four zero rows in severity order'
);

-- Tenant a: 3 high open, 1 high resolved, 2 critical open; tenant b: 1 low open.
SELECT
    count(notifydb.record_event('job_failure', 'high', 'd', NULL, (
        SELECT tenant_id FROM t
        WHERE name = 'a'
    )))
FROM generate_series(1, 3);
SELECT notifydb.resolve_event(
    notifydb.record_event('job_failure', 'high', 'd', NULL, (
        SELECT tenant_id FROM t
        WHERE name = 'a'
    )),
    gen_random_uuid()
);
SELECT
    count(notifydb.record_event('job_failure', 'critical', 'd', NULL, (
        SELECT tenant_id FROM t
        WHERE name = 'a'
    )))
FROM generate_series(1, 2);
SELECT notifydb.record_event('job_failure', 'low', 'd', NULL, (
    SELECT tenant_id FROM t
    WHERE name = 'b'
));
-- A repeat is one event, not two.
SELECT notifydb.record_event('job_failure', 'low', 'd', NULL, (
    SELECT tenant_id FROM t
    WHERE name = 'b'
), NULL, 'fp');
SELECT notifydb.record_event('job_failure', 'low', 'd', NULL, (
    SELECT tenant_id FROM t
    WHERE name = 'b'
), NULL, 'fp');

SELECT results_eq(
    $$SELECT * FROM notifydb.event_summary((SELECT tenant_id FROM t WHERE name = 'a'))$$,
    $$VALUES ('low', 0::bigint), ('medium', 0::bigint), ('high', 3::bigint), ('critical', 2::bigint)$$,
    'a tenant''s unresolved events per severity'
);
SELECT results_eq(
    $$SELECT * FROM notifydb.event_summary((SELECT tenant_id FROM t WHERE name = 'b'))$$,
    $$VALUES ('low', 2::bigint), ('medium', 0::bigint), ('high', 0::bigint), ('critical', 0::bigint)$$,
    'another tenant''s counts are its own; a fingerprint repeat counts once'
);
SELECT results_eq(
    $$SELECT severity, unresolved FROM notifydb.event_summary()$$,
    $$SELECT b.severity, b.unresolved + d.added
      FROM before AS b
      INNER JOIN (VALUES ('low', 2), ('medium', 0), ('high', 3), ('critical', 2)) AS d (severity, added)
          ON d.severity = b.severity
      ORDER BY array_position(ARRAY['low', 'medium', 'high', 'critical'], b.severity)$$,
    'p_tenant_id NULL counts every tenant'
);
SELECT results_eq(
    $$SELECT severity FROM notifydb.event_summary()$$,
    $$VALUES ('low'), ('medium'), ('high'), ('critical')$$,
    'rows come in severity order'
);

SELECT * FROM finish();
ROLLBACK;
