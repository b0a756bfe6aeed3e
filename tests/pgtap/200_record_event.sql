-- record_event: validation per parameter, fingerprint dedupe, repeats after resolve.
BEGIN;
SELECT plan(28);

CREATE TEMP TABLE t (name text PRIMARY KEY, tenant_id uuid) ON COMMIT DROP;
INSERT INTO t VALUES ('a', gen_random_uuid()), ('b', gen_random_uuid());

-- Bad input: 22023 naming the parameter (that it writes nothing, committed, is
-- tests/test_events_repeat.py's: throws_ok rolls its statement back anyway).
SELECT throws_ok(
    $$SELECT notifydb.record_event(NULL, 'low', 'd')$$,
    '22023', 'p_event_type must be 1..100 characters', 'NULL p_event_type is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('', 'low', 'd')$$,
    '22023', 'p_event_type must be 1..100 characters', 'empty p_event_type is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event(repeat('x', 101), 'low', 'd')$$,
    '22023', 'p_event_type must be 1..100 characters', 'p_event_type of 101 characters is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'urgent', 'd')$$,
    '22023', 'p_severity must be low, medium, high or critical', 'unknown p_severity is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'LOW', 'd')$$,
    '22023', 'p_severity must be low, medium, high or critical', 'p_severity is case-sensitive'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', NULL, 'd')$$,
    '22023', 'p_severity must be low, medium, high or critical', 'NULL p_severity is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', '')$$,
    '22023', 'p_description must be 1..2000 characters', 'empty p_description is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', repeat('x', 2001))$$,
    '22023', 'p_description must be 1..2000 characters', 'p_description of 2001 characters is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', 'd', '[1, 2]')$$,
    '22023', 'p_details must be a JSON object of at most 8 KB', 'a JSON array as p_details is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', 'd', '"text"')$$,
    '22023', 'p_details must be a JSON object of at most 8 KB', 'a JSON string as p_details is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', 'd', jsonb_build_object('k', repeat('x', 8190)))$$,
    '22023', 'p_details must be a JSON object of at most 8 KB', 'p_details over 8 KB is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', 'd', p_fingerprint => '')$$,
    '22023', 'p_fingerprint must be 1..200 characters', 'empty p_fingerprint is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', 'd', p_fingerprint => repeat('f', 201))$$,
    '22023', 'p_fingerprint must be 1..200 characters', 'p_fingerprint of 201 characters is refused'
);

-- The limits themselves are accepted.
SELECT ok(
    notifydb.record_event(
        repeat('t', 100), 'critical', repeat('d', 2000), jsonb_build_object('k', repeat('x', 8000)),
        (
            SELECT tenant_id FROM t
            WHERE name = 'b'
        ), gen_random_uuid(), repeat('f', 200
        )
    ) IS NOT NULL,
    'values at the limits are accepted'
);

-- A first event, then repeats of its fingerprint.
CREATE TEMP TABLE ev ON COMMIT DROP AS
SELECT notifydb.record_event(
    'job_failure', 'medium', 'first', '{"n": 1}', (
        SELECT tenant_id FROM t
        WHERE name = 'a'
    ), NULL, 'fp-1'
) AS id;
SELECT results_eq(
    $$SELECT event_type, severity, description, details, occurrences, is_resolved, created_at = last_seen_at
      FROM notifydb.admin_system_events WHERE id = (SELECT id FROM ev)$$,
    $$VALUES ('job_failure', 'medium', 'first', '{"n": 1}'::jsonb, 1, false, true)$$,
    'a new event has one occurrence and is open'
);
SELECT is(
    notifydb.record_event(
        'job_failure', 'critical', 'second', '{"n": 2}', (
            SELECT tenant_id FROM t
            WHERE name = 'a'
        ), NULL, 'fp-1'
    ),
    (SELECT id FROM ev), 'a repeat returns the open event''s id'
);
SELECT is(
    notifydb.record_event(
        'other_type', 'low', 'third', '{"n": 3}', (
            SELECT tenant_id FROM t
            WHERE name = 'a'
        ), NULL, 'fp-1'
    ),
    (SELECT id FROM ev), 'a repeat with another type and severity still bumps it'
);
SELECT results_eq(
    $$SELECT event_type, severity, description, details, occurrences
      FROM notifydb.admin_system_events WHERE id = (SELECT id FROM ev)$$,
    $$VALUES ('job_failure', 'critical', 'third', '{"n": 3}'::jsonb, 3)$$,
    'repeats count occurrences, keep the latest description and details, the highest severity, the first type'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.admin_system_events
        WHERE tenant_id = (
                SELECT tenant_id FROM t
                WHERE name = 'a'
            )
    ),
    1::bigint, 'repeats added no rows'
);

-- The fingerprint is per tenant; the platform (NULL tenant) is one tenant too.
SELECT isnt(
    notifydb.record_event(
        'job_failure', 'low', 'd', NULL, (
            SELECT tenant_id FROM t
            WHERE name = 'b'
        ), NULL, 'fp-1'
    ),
    (SELECT id FROM ev), 'the same fingerprint in another tenant is another event'
);
SELECT is(
    notifydb.record_event('job_failure', 'low', 'd', p_fingerprint => 'fp-platform-200'),
    notifydb.record_event('job_failure', 'low', 'd', p_fingerprint => 'fp-platform-200'),
    'platform events (NULL tenant) dedupe too'
);
SELECT isnt(
    notifydb.record_event('job_failure', 'low', 'd', p_tenant_id => (
        SELECT tenant_id FROM t
        WHERE name = 'a'
    )),
    notifydb.record_event('job_failure', 'low', 'd', p_tenant_id => (
        SELECT tenant_id FROM t
        WHERE name = 'a'
    )),
    'events without a fingerprint never dedupe'
);

-- After a resolve, the fingerprint opens a new event; the old one is kept.
SELECT ok(notifydb.resolve_event((SELECT id FROM ev), gen_random_uuid()), 'the event is resolved');
SELECT isnt(
    notifydb.record_event(
        'job_failure', 'low', 'again', NULL, (
            SELECT tenant_id FROM t
            WHERE name = 'a'
        ), NULL, 'fp-1'
    ),
    (SELECT id FROM ev), 'after a resolve the fingerprint opens a new event'
);
SELECT results_eq(
    $$SELECT occurrences, severity, is_resolved FROM notifydb.admin_system_events WHERE id = (SELECT id FROM ev)$$,
    $$VALUES (3, 'critical', true)$$,
    'the resolved event is unchanged'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.admin_system_events
        WHERE tenant_id = (
                SELECT tenant_id FROM t
                WHERE name = 'a'
            ) AND fingerprint = 'fp-1' AND NOT is_resolved
    ),
    1::bigint, 'exactly one open event per fingerprint'
);

-- occurrences saturates instead of failing every later call.
UPDATE notifydb.admin_system_events SET occurrences = 2147483647
WHERE fingerprint = 'fp-platform-200' AND tenant_id IS NULL AND NOT is_resolved;
SELECT lives_ok(
    $$SELECT notifydb.record_event('job_failure', 'low', 'd', p_fingerprint => 'fp-platform-200')$$,
    'a repeat at the largest occurrences still records'
);
SELECT is(
    (
        SELECT occurrences FROM notifydb.admin_system_events
        WHERE fingerprint = 'fp-platform-200' AND tenant_id IS NULL AND NOT is_resolved
    ),
    2147483647, 'occurrences stays at its largest value'
);

SELECT * FROM finish();
ROLLBACK;
