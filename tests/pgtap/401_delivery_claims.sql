-- claim/complete/retry semantics: leases, attempts, job ids renewed by every
-- claim (a stale relay settles nothing), lease expiry, outcomes on the
-- notification, exhausted jobs given up as failed, and bad input.
BEGIN;
SELECT plan(46);

-- Other tests may have left jobs behind in this database; start from none.
DELETE FROM notifydb.delivery_outbox;

-- Six email jobs, due one second apart so claim order is known.
INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel)
SELECT
    '00000000-0000-0000-0000-0000000000a1'::uuid AS tenant_id,
    pg_catalog.gen_random_uuid() AS user_id,
    'T' AS type,
    't' || i AS title,
    'm' AS message,
    'email' AS channel
FROM pg_catalog.generate_series(1, 6) AS i;
UPDATE notifydb.delivery_outbox AS o
SET available_at = pg_catalog.now() - pg_catalog.make_interval(secs => 100 - pg_catalog.substr(n.title, 2)::integer)
FROM notifydb.notifications AS n
WHERE n.id = o.notification_id;

-- Job ids change with every claim: job(n) is the current id of the job of
-- notification tn; kept(label) is an id noted earlier with keep(label, n).
CREATE FUNCTION pg_temp.job(p_n integer) RETURNS bigint LANGUAGE sql AS $$
    SELECT o.job_id FROM notifydb.delivery_outbox AS o
    INNER JOIN notifydb.notifications AS n ON n.id = o.notification_id
    WHERE n.tenant_id = '00000000-0000-0000-0000-0000000000a1' AND n.title = 't' || p_n
$$;
CREATE TEMPORARY TABLE kept_ids (label text PRIMARY KEY, job_id bigint NOT NULL) ON COMMIT DROP;
CREATE FUNCTION pg_temp.keep(p_label text, p_n integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO kept_ids VALUES (p_label, pg_temp.job(p_n))
$$;
CREATE FUNCTION pg_temp.kept(p_label text) RETURNS bigint LANGUAGE sql AS $$
    SELECT job_id FROM kept_ids WHERE label = p_label
$$;
CREATE FUNCTION pg_temp.status(p_n integer) RETURNS text LANGUAGE sql AS $$
    SELECT delivery_status FROM notifydb.notifications
    WHERE tenant_id = '00000000-0000-0000-0000-0000000000a1' AND title = 't' || p_n
$$;
SELECT pg_temp.keep('t1 unclaimed', 1);

-- Validation.
SELECT throws_ok('SELECT * FROM notifydb.claim_deliveries(NULL)', '22023', 'p_limit must not be NULL', 'NULL limit');
SELECT throws_ok(
    $$SELECT * FROM notifydb.claim_deliveries(10, interval '0')$$, '22023',
    'p_lease must be positive and at most 1 day', 'zero lease'
);
SELECT throws_ok(
    $$SELECT * FROM notifydb.claim_deliveries(10, interval '-1 minute')$$, '22023', NULL, 'negative lease'
);
SELECT throws_ok($$SELECT * FROM notifydb.claim_deliveries(10, NULL)$$, '22023', NULL, 'NULL lease');
SELECT throws_ok(
    $$SELECT notifydb.complete_deliveries(ARRAY[1], 'delivered')$$, '22023', 'p_status must be sent or failed',
    'unknown status'
);
SELECT throws_ok(
    $$SELECT notifydb.complete_deliveries(NULL)$$, '22023', 'p_job_ids must not be NULL', 'NULL ids to complete'
);
SELECT throws_ok(
    $$SELECT notifydb.retry_deliveries(ARRAY[1], '')$$, '22023', 'p_error must be 1..2000 characters', 'empty error'
);
SELECT throws_ok(
    $$SELECT notifydb.retry_deliveries(ARRAY[1], 'x', interval '-1 second')$$, '22023', 'p_delay must be 0..30 days',
    'negative delay'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.delivery_outbox
        WHERE attempts > 0
    ),
    0::bigint, 'bad input claimed nothing'
);

-- Claims: longest due first, clamped limit, a lease that moves available_at.
SELECT results_eq(
    $$SELECT n.title, c.attempts FROM notifydb.claim_deliveries(0, interval '5 minutes') AS c
      INNER JOIN notifydb.notifications AS n ON n.id = c.notification_id$$,
    $$VALUES ('t1', 1)$$,
    'a limit below 1 is clamped to 1: the job due longest, first attempt'
);
SELECT cmp_ok(
    pg_temp.job(1), '>', (SELECT max(kept_ids.job_id) FROM kept_ids),
    'the claim gave the job a new, higher id'
);
SELECT pg_temp.keep('t1 first claim', 1);
-- Contents: only for jobs under lease.
SELECT results_eq(
    $$SELECT job_id, type, title, message FROM notifydb.delivery_contents(
        ARRAY[pg_temp.job(1), pg_temp.job(6), pg_temp.job(2)])$$,
    $$VALUES (pg_temp.job(1), 'T', 't1', 'm')$$,
    'contents of the leased job only; the unclaimed ones are left out'
);
SELECT is_empty(
    $$SELECT * FROM notifydb.delivery_contents(ARRAY[pg_temp.kept('t1 unclaimed')])$$,
    'nor for the id the job had before its claim'
);
SELECT throws_ok(
    'SELECT * FROM notifydb.delivery_contents(NULL)', '22023', 'p_job_ids must not be NULL', 'NULL ids for contents'
);

SELECT results_eq(
    $$SELECT n.title FROM notifydb.claim_deliveries(2, interval '5 minutes') AS c
      INNER JOIN notifydb.notifications AS n ON n.id = c.notification_id ORDER BY n.title$$,
    $$VALUES ('t2'), ('t3')$$,
    'the next claim skips the leased job'
);
SELECT ok(
    (
        SELECT bool_and(leased_until = pg_catalog.now() + interval '5 minutes' AND available_at = leased_until)
        FROM notifydb.delivery_outbox
        WHERE job_id IN (pg_temp.job(1), pg_temp.job(2), pg_temp.job(3))
    ),
    'a lease ends at now() + p_lease and the job is not due before'
);
SELECT is(
    (SELECT count(*) FROM notifydb.claim_deliveries(100000, interval '1 minute')),
    3::bigint, 'a huge limit is clamped and hands out the rest'
);
SELECT is_empty($$SELECT * FROM notifydb.claim_deliveries()$$, 'nothing is handed out twice while leased');

-- Lease expiry: an expired lease is claimed again, with attempts incremented.
UPDATE notifydb.delivery_outbox SET
    leased_until = pg_catalog.now() - interval '1 second',
    available_at = pg_catalog.now() - interval '1 second'
WHERE job_id = pg_temp.job(1);
SELECT results_eq(
    $$SELECT n.title, c.attempts FROM notifydb.claim_deliveries() AS c
      INNER JOIN notifydb.notifications AS n ON n.id = c.notification_id$$,
    $$VALUES ('t1', 2)$$,
    'an expired lease is handed out again as the second attempt'
);

-- The first claim's relay comes back late: its id no longer names the job.
-- With one attempt allowed a retry would give the job up: it must not.
UPDATE notifydb.delivery_policy SET max_attempts = 2;
SELECT is(
    notifydb.retry_deliveries(ARRAY[pg_temp.kept('t1 first claim')], 'late'), 0::bigint,
    'a retry under a superseded claim takes nothing back'
);
UPDATE notifydb.delivery_policy SET max_attempts = DEFAULT;
SELECT is(
    notifydb.complete_deliveries(ARRAY[pg_temp.kept('t1 first claim')], 'failed'), 0::bigint,
    'nor does a complete'
);
SELECT results_eq(
    $$SELECT attempts, leased_until, last_error, notifydb.notifications.delivery_status
      FROM notifydb.delivery_outbox INNER JOIN notifydb.notifications ON id = notification_id
      WHERE job_id = pg_temp.job(1)$$,
    $$SELECT 2, pg_catalog.now() + interval '5 minutes', NULL::text, NULL::text$$,
    'the second claim keeps its lease, and the delivery is neither failed nor retried'
);

-- Complete: outcome on the notification, the job removed, never counted twice.
SELECT pg_temp.keep('t1 second claim', 1);
SELECT pg_temp.keep('t2 claim', 2);
SELECT is(
    notifydb.complete_deliveries(ARRAY[pg_temp.job(1), pg_temp.job(2), -1, NULL]),
    2::bigint, 'completing counts the claimed jobs only (unknown ids and NULLs ignored)'
);
SELECT is(
    notifydb.complete_deliveries(ARRAY[pg_temp.kept('t1 second claim')]), 0::bigint, 'completing again counts nothing'
);
SELECT results_eq(
    $$SELECT n.delivery_status, n.delivery_finished_at FROM notifydb.notifications AS n
      WHERE n.tenant_id = '00000000-0000-0000-0000-0000000000a1' AND n.title IN ('t1', 't2')$$,
    $$VALUES ('sent', pg_catalog.now()), ('sent', pg_catalog.now())$$,
    'the notifications show sent and when'
);
SELECT is(
    (
        SELECT count(*) FROM notifydb.delivery_outbox
        WHERE job_id IN (pg_temp.kept('t1 second claim'), pg_temp.kept('t2 claim'))
    ),
    0::bigint, 'completed jobs leave the outbox'
);
SELECT is(notifydb.complete_deliveries(ARRAY[pg_temp.job(3)], 'failed'), 1::bigint, 'a relay may report failure');
SELECT is(pg_temp.status(3), 'failed', 'it shows as failed');

-- Retry: back after the delay with its error; unclaimed jobs are not touched.
SELECT is(
    notifydb.retry_deliveries(ARRAY[pg_temp.job(4), pg_temp.job(5)], 'smtp 451', interval '10 minutes'),
    2::bigint, 'retry takes back claimed jobs'
);
SELECT results_eq(
    $$SELECT leased_until, available_at, last_error, attempts FROM notifydb.delivery_outbox
      WHERE job_id = pg_temp.job(4)$$,
    $$SELECT NULL::timestamptz, pg_catalog.now() + interval '10 minutes', 'smtp 451', 1$$,
    'a retried job is unleased, due after the delay, with its error'
);
SELECT is(
    notifydb.retry_deliveries(ARRAY[pg_temp.job(4)], 'again'), 0::bigint, 'a job not leased is not retried'
);
SELECT is(notifydb.complete_deliveries(ARRAY[pg_temp.job(4)]), 0::bigint, 'nor completed');
SELECT is_empty(
    $$SELECT * FROM notifydb.delivery_contents(ARRAY[pg_temp.job(4)])$$, 'nor are its contents handed out'
);

-- A late send: the lease ran out, but nobody claimed the job since. The
-- message went out, so completing it still records sent.
SELECT is((SELECT count(*) FROM notifydb.claim_deliveries()), 0::bigint, 'job 6 is leased, 4 and 5 wait');
UPDATE notifydb.delivery_outbox SET
    leased_until = pg_catalog.now() - interval '1 second',
    available_at = pg_catalog.now() - interval '1 second'
WHERE job_id = pg_temp.job(6);
SELECT is(notifydb.complete_deliveries(ARRAY[pg_temp.job(6)]), 1::bigint, 'a late complete of the latest claim counts');
SELECT is(pg_temp.status(6), 'sent', 'and records sent');

-- Exhaustion. Policy of 2 attempts: job 4 is claimed a second time and
-- retried, so it is given up; job 5 is claimed a second time and its relay
-- "dies" (the lease runs out), so the next claim gives it up.
UPDATE notifydb.delivery_policy SET max_attempts = 2;
UPDATE notifydb.delivery_outbox SET available_at = pg_catalog.now() - interval '1 second'
WHERE job_id IN (pg_temp.job(4), pg_temp.job(5));
SELECT results_eq(
    $$SELECT n.title, c.attempts FROM notifydb.claim_deliveries() AS c
      INNER JOIN notifydb.notifications AS n ON n.id = c.notification_id ORDER BY n.title$$,
    $$VALUES ('t4', 2), ('t5', 2)$$,
    'the last allowed attempt is handed out'
);
SELECT is(
    notifydb.retry_deliveries(ARRAY[pg_temp.job(4)], 'smtp 550'), 1::bigint, 'retrying the last attempt counts'
);
SELECT is(pg_temp.status(4), 'failed', 'and gives the delivery up as failed at once');
UPDATE notifydb.delivery_outbox SET
    leased_until = pg_catalog.now() - interval '1 second',
    available_at = pg_catalog.now() - interval '1 second'
WHERE job_id = pg_temp.job(5);
SELECT is_empty(
    $$SELECT * FROM notifydb.claim_deliveries()$$, 'a job out of attempts is not handed out after its lease'
);
SELECT is(pg_temp.status(5), 'failed', 'the claim gave it up as failed');
SELECT is_empty($$SELECT * FROM notifydb.delivery_outbox$$, 'a job exists exactly while its delivery is pending');

-- A claim whose first batch is all out of attempts looks further: three
-- exhausted jobs due before two fresh ones, claimed one at a time.
INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel)
SELECT
    '00000000-0000-0000-0000-0000000000a1'::uuid AS tenant_id,
    pg_catalog.gen_random_uuid() AS user_id,
    'T' AS type,
    't' || i AS title,
    'm' AS message,
    'push' AS channel
FROM pg_catalog.generate_series(7, 11) AS i;
UPDATE notifydb.delivery_outbox AS o
SET
    available_at = pg_catalog.now() - pg_catalog.make_interval(secs => 100 - pg_catalog.substr(n.title, 2)::integer),
    attempts = CASE WHEN n.title IN ('t7', 't8', 't9') THEN 2 ELSE 0 END
FROM notifydb.notifications AS n
WHERE n.id = o.notification_id;
SELECT results_eq(
    $$SELECT n.title, c.attempts FROM notifydb.claim_deliveries(1) AS c
      INNER JOIN notifydb.notifications AS n ON n.id = c.notification_id$$,
    $$VALUES ('t10', 1)$$,
    'a claim of one gives up the three exhausted jobs due first and hands out the next'
);
SELECT results_eq(
    $$SELECT pg_temp.status(7), pg_temp.status(8), pg_temp.status(9)$$,
    $$VALUES ('failed', 'failed', 'failed')$$,
    'the exhausted ones show as failed'
);
UPDATE notifydb.delivery_outbox SET attempts = 2
WHERE job_id = pg_temp.job(11);
SELECT is_empty($$SELECT * FROM notifydb.claim_deliveries(1)$$, 'with only exhausted jobs due, nothing is handed out');
SELECT results_eq(
    $$SELECT n.title FROM notifydb.delivery_outbox AS o
      INNER JOIN notifydb.notifications AS n ON n.id = o.notification_id$$,
    $$VALUES ('t10')$$,
    'and none is left behind: only the leased job remains'
);

SELECT * FROM finish();
ROLLBACK;
