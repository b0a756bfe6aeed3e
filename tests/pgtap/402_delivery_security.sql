-- Only notifydb_delivery may claim, complete, retry and read contents; it still cannot touch
-- the tables, and the private helpers are nobody's to call.
BEGIN;
SELECT plan(16);

SELECT function_privs_are(
    'notifydb', 'claim_deliveries', ARRAY['integer', 'interval'], 'notifydb_delivery', ARRAY['EXECUTE'],
    'notifydb_delivery may claim'
);
SELECT function_privs_are(
    'notifydb', 'complete_deliveries', ARRAY['bigint[]', 'text'], 'notifydb_delivery', ARRAY['EXECUTE'],
    'notifydb_delivery may complete'
);
SELECT function_privs_are(
    'notifydb', 'retry_deliveries', ARRAY['bigint[]', 'text', 'interval'], 'notifydb_delivery', ARRAY['EXECUTE'],
    'notifydb_delivery may retry'
);
SELECT function_privs_are(
    'notifydb', 'delivery_contents', ARRAY['bigint[]'], 'notifydb_delivery', ARRAY['EXECUTE'],
    'notifydb_delivery may read what it delivers'
);
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text || ' to ' || a.grantee::regrole::text
      FROM pg_catalog.pg_proc AS p, pg_catalog.aclexplode(p.proacl) AS a
      WHERE p.oid IN ('notifydb.claim_deliveries(integer, interval)'::regprocedure,
                      'notifydb.complete_deliveries(bigint[], text)'::regprocedure,
                      'notifydb.retry_deliveries(bigint[], text, interval)'::regprocedure,
                      'notifydb.delivery_contents(bigint[])'::regprocedure,
                      'notifydb._enqueue_deliveries()'::regprocedure,
                      'notifydb._record_delivery_outcome(uuid[], uuid[], text)'::regprocedure)
        AND a.grantee NOT IN ('notifydb_owner'::regrole, 'notifydb_delivery'::regrole)$$,
    'no other role may execute the delivery functions'
);
SELECT ok(
    (
        SELECT bool_and(p.prosecdef) FROM pg_catalog.pg_proc AS p
        WHERE p.oid IN (
                'notifydb.claim_deliveries(integer, interval)'::regprocedure,
                'notifydb.complete_deliveries(bigint[], text)'::regprocedure,
                'notifydb.retry_deliveries(bigint[], text, interval)'::regprocedure,
                'notifydb.delivery_contents(bigint[])'::regprocedure
            )
    ),
    'the delivery functions are SECURITY DEFINER'
);

-- Other tests may have left jobs behind in this database; start from none.
DELETE FROM notifydb.delivery_outbox;

INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel)
VALUES ('00000000-0000-0000-0000-0000000000a1', NULL, 'T', 't', 'm', 'push');

SET LOCAL ROLE notifydb_app;
SELECT throws_ok('SELECT * FROM notifydb.claim_deliveries()', '42501', NULL, 'notifydb_app cannot claim');
SELECT throws_ok('SELECT notifydb.complete_deliveries(ARRAY[1])', '42501', NULL, 'notifydb_app cannot complete');
SELECT throws_ok('SELECT notifydb.retry_deliveries(ARRAY[1], $e$x$e$)', '42501', NULL, 'notifydb_app cannot retry');
SELECT throws_ok(
    'SELECT * FROM notifydb.delivery_contents(ARRAY[1])', '42501', NULL, 'notifydb_app cannot read delivery contents'
);
RESET ROLE;

SET LOCAL ROLE notifydb_admin;
SELECT throws_ok('SELECT * FROM notifydb.claim_deliveries()', '42501', NULL, 'notifydb_admin cannot claim');
RESET ROLE;

SET LOCAL ROLE notifydb_retention;
SELECT throws_ok('SELECT * FROM notifydb.claim_deliveries()', '42501', NULL, 'notifydb_retention cannot claim');
RESET ROLE;

SET LOCAL ROLE notifydb_delivery;
SELECT is((SELECT count(*) FROM notifydb.claim_deliveries()), 1::bigint, 'notifydb_delivery claims');
SELECT throws_ok('SELECT * FROM notifydb.delivery_outbox', '42501', NULL, 'but cannot read the outbox');
SELECT throws_ok('UPDATE notifydb.delivery_policy SET max_attempts = 100', '42501', NULL, 'nor change the policy');
SELECT throws_ok(
    $$SELECT notifydb._record_delivery_outcome(ARRAY[]::uuid[], ARRAY[]::uuid[], 'sent')$$, '42501', NULL,
    'nor call the private helper'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
