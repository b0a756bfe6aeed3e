-- resolve_event: true once, the first resolver and time kept, unknown ids, bad input.
BEGIN;
SELECT plan(10);

CREATE TEMP TABLE ev ON COMMIT DROP AS
SELECT
    notifydb.record_event('quota_reached', 'high', 'd', p_tenant_id => gen_random_uuid()) AS id,
    gen_random_uuid() AS first_resolver;

SELECT throws_ok(
    $$SELECT notifydb.resolve_event((SELECT id FROM ev), NULL)$$,
    '22023', 'p_resolved_by must not be NULL', 'a NULL resolver is refused'
);
SELECT throws_ok(
    $$SELECT notifydb.resolve_event(NULL, gen_random_uuid())$$,
    '22023', 'p_event_id must not be NULL', 'a NULL id is refused'
);
SELECT is(
    (
        SELECT is_resolved FROM notifydb.admin_system_events
        WHERE id = (SELECT id FROM ev)
    ),
    FALSE, 'refused calls changed nothing'
);

SELECT is(
    notifydb.resolve_event((SELECT id FROM ev), (SELECT first_resolver FROM ev)),
    TRUE, 'the first resolve returns true'
);
SELECT results_eq(
    $$SELECT is_resolved, resolved_by, resolved_at = now() FROM notifydb.admin_system_events
      WHERE id = (SELECT id FROM ev)$$,
    $$SELECT true, first_resolver, true FROM ev$$,
    'the event records who resolved it and when'
);
UPDATE notifydb.admin_system_events SET resolved_at = resolved_at - interval '1 hour'
WHERE id = (SELECT id FROM ev);
SELECT is(
    notifydb.resolve_event((SELECT id FROM ev), gen_random_uuid()),
    FALSE, 'resolving again returns false'
);
SELECT results_eq(
    $$SELECT resolved_by, resolved_at FROM notifydb.admin_system_events WHERE id = (SELECT id FROM ev)$$,
    $$SELECT first_resolver, now() - interval '1 hour' FROM ev$$,
    'the first resolver and time are kept'
);

SELECT throws_ok(
    $$SELECT notifydb.resolve_event((SELECT max(id) + 1000 FROM notifydb.admin_system_events), gen_random_uuid())$$,
    'P0002', NULL, 'an unknown id raises no_data_found'
);
SELECT throws_ok(
    $$SELECT notifydb.resolve_event(-1, gen_random_uuid())$$,
    'P0002', 'event -1 does not exist', 'the error names the id'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.admin_system_events
        WHERE id = (SELECT id FROM ev)
    ),
    1::bigint, 'resolving keeps the event'
);

SELECT * FROM finish();
ROLLBACK;
