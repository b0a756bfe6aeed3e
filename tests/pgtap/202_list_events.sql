-- list_events: newest first, tenant / severity / unresolved filters, keyset paging, limits.
BEGIN;
SELECT plan(20);

CREATE TEMP TABLE t (name text PRIMARY KEY, tenant_id uuid) ON COMMIT DROP;
INSERT INTO t VALUES ('a', gen_random_uuid()), ('b', gen_random_uuid()), ('c', gen_random_uuid());

-- Tenant a: one event per severity, each twice, the first of each resolved.
CREATE TEMP TABLE ev ON COMMIT DROP AS
SELECT
    s.severity,
    r.resolved,
    notifydb.record_event(
        'job_failure', s.severity, 'd', NULL, (
            SELECT tenant_id FROM t
            WHERE name = 'a'
        )
    ) AS id
FROM unnest(ARRAY['low', 'medium', 'high', 'critical']) AS s (severity)
CROSS JOIN (VALUES (TRUE), (FALSE)) AS r (resolved);
SELECT count(*) FILTER (WHERE notifydb.resolve_event(id, gen_random_uuid())) FROM ev
WHERE resolved;
-- Tenant b and the platform: one critical each.
INSERT INTO ev
SELECT
    'critical' AS severity,
    FALSE AS resolved,
    notifydb.record_event('job_failure', 'critical', 'd', NULL, t.tenant_id) AS id
FROM t
WHERE name = 'b'
UNION ALL
SELECT
    'critical' AS severity,
    FALSE AS resolved,
    notifydb.record_event('job_failure', 'critical', 'd') AS id;

SELECT results_eq(
    $$SELECT id FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'a'))$$,
    $$SELECT id FROM ev WHERE id IN (
        SELECT id FROM notifydb.admin_system_events WHERE tenant_id = (SELECT tenant_id FROM t WHERE name = 'a')
      ) ORDER BY id DESC$$,
    'a tenant''s list holds its events, newest first'
);
SELECT is_empty(
    $$SELECT id FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'a'))
      WHERE tenant_id IS DISTINCT FROM (SELECT tenant_id FROM t WHERE name = 'a')$$,
    'a tenant''s list holds no other tenant''s or platform events'
);
SELECT is_empty(
    $$SELECT id FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'c'))$$,
    'a tenant without events gets an empty list'
);
SELECT results_eq(
    $$SELECT severity, is_resolved FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'a'), 'high')$$,
    $$VALUES ('critical', false), ('critical', true), ('high', false), ('high', true)$$,
    'p_min_severity high keeps high and critical'
);
SELECT results_eq(
    $$SELECT severity FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'a'), 'medium', true)$$,
    $$VALUES ('critical'), ('high'), ('medium')$$,
    'p_unresolved_only hides resolved events'
);
SELECT results_eq(
    $$SELECT severity FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'a'), 'critical', true)$$,
    $$VALUES ('critical')$$,
    'critical and unresolved combine'
);
SELECT is(
    (
        SELECT count(*)
        FROM notifydb.list_events((
                SELECT tenant_id FROM t
                WHERE name = 'a'
            ), 'low')
    ),
    8::bigint, 'p_min_severity low keeps everything'
);
SELECT throws_ok(
    $$SELECT * FROM notifydb.list_events(NULL, 'urgent')$$,
    '22023', 'p_min_severity must be low, medium, high or critical', 'an unknown p_min_severity is refused'
);

-- All tenants: this transaction's events are the newest.
SELECT results_eq(
    $$SELECT id FROM notifydb.list_events(NULL, NULL, false, 10)$$,
    $$SELECT id FROM ev ORDER BY id DESC$$,
    'p_tenant_id NULL lists every tenant and the platform, newest first'
);
SELECT results_eq(
    $$SELECT id FROM notifydb.list_events(NULL, 'critical', true, 3)$$,
    $$SELECT id FROM ev WHERE severity = 'critical' AND NOT resolved ORDER BY id DESC$$,
    'all tenants, critical and unresolved'
);

-- Keyset paging: pages of 3 walk tenant a's 8 events without gaps or repeats.
CREATE TEMP TABLE page1 ON COMMIT DROP AS
SELECT id FROM notifydb.list_events((
        SELECT tenant_id FROM t
        WHERE name = 'a'
    ), p_limit => 3);
CREATE TEMP TABLE page2 ON COMMIT DROP AS
SELECT id FROM notifydb.list_events(
        (
            SELECT tenant_id FROM t
            WHERE name = 'a'
        ), p_limit => 3, p_before_id => (SELECT min(id) FROM page1
        )
    );
CREATE TEMP TABLE page3 ON COMMIT DROP AS
SELECT id FROM notifydb.list_events(
        (
            SELECT tenant_id FROM t
            WHERE name = 'a'
        ), p_limit => 3, p_before_id => (SELECT min(id) FROM page2
        )
    );
SELECT is((SELECT count(*) FROM page1), 3::bigint, 'a page holds p_limit events');
SELECT is((SELECT count(*) FROM page3), 2::bigint, 'the last page holds the rest');
SELECT results_eq(
    $$SELECT id FROM page1 UNION ALL SELECT id FROM page2 UNION ALL SELECT id FROM page3$$,
    $$SELECT id FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'a'))$$,
    'the pages together are the whole list, in order'
);
SELECT is_empty(
    $$SELECT id FROM notifydb.list_events(
        (SELECT tenant_id FROM t WHERE name = 'a'), p_before_id => (SELECT min(id) FROM ev))$$,
    'nothing is older than the oldest'
);

-- p_limit is clamped to 1..100; NULL means the default 50.
SELECT
    count(notifydb.record_event('job_failure', 'low', 'd', NULL, (
        SELECT tenant_id FROM t
        WHERE name = 'c'
    )))
FROM generate_series(1, 120);
SELECT is(
    (
        SELECT count(*)
        FROM notifydb.list_events((
                SELECT tenant_id FROM t
                WHERE name = 'c'
            ))
    ),
    50::bigint, 'the default page is 50 events'
);
SELECT is(
    (
        SELECT count(*)
        FROM notifydb.list_events((
                SELECT tenant_id FROM t
                WHERE name = 'c'
            ), p_limit => 1000)
    ),
    100::bigint, 'p_limit above 100 gives 100'
);
SELECT is(
    (
        SELECT count(*)
        FROM notifydb.list_events((
                SELECT tenant_id FROM t
                WHERE name = 'c'
            ), p_limit => 0)
    ),
    1::bigint, 'p_limit below 1 gives 1'
);
SELECT is(
    (
        SELECT count(*)
        FROM notifydb.list_events((
                SELECT tenant_id FROM t
                WHERE name = 'c'
            ), p_limit => NULL)
    ),
    50::bigint, 'p_limit NULL gives 50'
);

-- Every column of the table comes back.
SELECT results_eq(
    $$SELECT l.* FROM notifydb.list_events((SELECT tenant_id FROM t WHERE name = 'a'), p_limit => 1) AS l$$,
    $$SELECT e.* FROM notifydb.admin_system_events AS e
      WHERE e.tenant_id = (SELECT tenant_id FROM t WHERE name = 'a') ORDER BY e.id DESC LIMIT 1$$,
    'rows are whole events'
);
SELECT is(
    (
        SELECT count(*) FROM pg_catalog.pg_indexes
        WHERE schemaname = 'notifydb' AND indexname IN (
                'admin_system_events_tenant_severity_idx', 'admin_system_events_severity_idx',
                'admin_system_events_open_tenant_severity_idx', 'admin_system_events_open_severity_idx'
            )
    ),
    4::bigint, 'the four list indexes exist'
);

SELECT * FROM finish();
ROLLBACK;
