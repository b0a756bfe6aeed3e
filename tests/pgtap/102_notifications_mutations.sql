-- mark_read, mark_unread, mark_all_read, delete_notifications and the seen
-- state: rows changed, idempotency, the first read_at kept, reading marks
-- seen, seeing does not read, unread and unseen independent.
BEGIN;
SELECT plan(30);

CREATE TEMPORARY TABLE t (tenant_id uuid, user_id uuid);
INSERT INTO t VALUES ('a0000000-0000-4000-8000-000000000102', 'b0000000-0000-4000-8000-000000000102');
CREATE TEMPORARY TABLE made AS
SELECT
    notifydb.create_notification(t.tenant_id, t.user_id, 'T', 'title ' || i, 'message') AS id,
    i
FROM t, generate_series(1, 6) AS i;
-- Rows 5 and 6 are older than an hour ago (for the p_up_to tests).
UPDATE notifydb.notifications SET created_at = now() - interval '2 hours'
WHERE id IN (
        SELECT id FROM made
        WHERE i >= 5
    );

SELECT is(notifydb.unseen_count(tenant_id, user_id), 6::bigint, 'new notifications are unseen') FROM t;
SELECT is(notifydb.mark_read(tenant_id, user_id, ARRAY[(
    SELECT id FROM made
    WHERE i = 1
)]), 1::bigint, 'mark_read returns 1') FROM t;
CREATE TEMPORARY TABLE first_read AS SELECT
    read_at,
    seen_at
FROM notifydb.notifications
WHERE id = (
        SELECT id FROM made
        WHERE i = 1
    );
SELECT isnt((SELECT read_at FROM first_read), NULL, 'read_at is set');
SELECT isnt((SELECT seen_at FROM first_read), NULL, 'reading also marks seen');
SELECT is(notifydb.unseen_count(tenant_id, user_id), 5::bigint, 'a read notification is no longer unseen') FROM t;
SELECT is(notifydb.mark_read(tenant_id, user_id, ARRAY[(
    SELECT id FROM made
    WHERE i = 1
)]), 0::bigint, 'mark_read again changes nothing') FROM t;
SELECT is(
    (
        SELECT read_at FROM notifydb.notifications
        WHERE id = (
                SELECT id FROM made
                WHERE i = 1
            )
    ),
    (SELECT read_at FROM first_read), 'the first read_at is kept'
);
SELECT is(
    notifydb.mark_read(tenant_id, user_id, (
        SELECT array_agg(id) FROM made
        WHERE i <= 2
    ) || gen_random_uuid()),
    1::bigint, 'a mixed list changes only the unread, existing rows'
) FROM t;
SELECT is(notifydb.mark_read(tenant_id, user_id, '{}'), 0::bigint, 'an empty id list changes nothing') FROM t;
SELECT is(notifydb.unread_count(tenant_id, user_id), 4::bigint, 'four remain unread') FROM t;

-- mark_unread clears read_at and keeps seen.
SELECT is(notifydb.mark_unread(tenant_id, user_id, ARRAY[(
    SELECT id FROM made
    WHERE i = 1
)]), 1::bigint, 'mark_unread returns 1') FROM t;
SELECT is(
    (
        SELECT row(is_read, read_at IS NULL, seen_at IS NOT NULL)::text FROM notifydb.notifications
        WHERE id = (
                SELECT id FROM made
                WHERE i = 1
            )
    ),
    '(f,t,t)', 'mark_unread clears is_read and read_at, keeps seen_at'
);
SELECT is(notifydb.mark_unread(tenant_id, user_id, ARRAY[(
    SELECT id FROM made
    WHERE i = 1
)]), 0::bigint, 'mark_unread again changes nothing') FROM t;
SELECT is(notifydb.unread_count(tenant_id, user_id), 5::bigint, 'unread again') FROM t;
SELECT is(notifydb.unseen_count(tenant_id, user_id), 4::bigint, 'but not unseen: unread and unseen are independent') FROM t;

-- mark_seen: seen, not read; respects p_up_to.
SELECT is(notifydb.mark_seen(tenant_id, user_id, now() - interval '1 hour'), 2::bigint, 'mark_seen up to an hour ago sees the two old rows') FROM t;
SELECT is(notifydb.unseen_count(tenant_id, user_id), 2::bigint, 'two unseen remain') FROM t;
SELECT is(notifydb.mark_seen(tenant_id, user_id), 2::bigint, 'mark_seen with the default sees the rest') FROM t;
SELECT is(notifydb.mark_seen(tenant_id, user_id), 0::bigint, 'mark_seen again changes nothing') FROM t;
SELECT is(notifydb.unseen_count(tenant_id, user_id), 0::bigint, 'nothing unseen') FROM t;
SELECT is(notifydb.unread_count(tenant_id, user_id), 5::bigint, 'seeing does not read') FROM t;

-- mark_all_read respects p_up_to, then reads everything.
SELECT is(notifydb.mark_all_read(tenant_id, user_id, now() - interval '1 hour'), 2::bigint, 'mark_all_read up to an hour ago reads the two old rows') FROM t;
SELECT is(notifydb.mark_all_read(tenant_id, user_id), 3::bigint, 'mark_all_read reads the remaining three') FROM t;
SELECT is(notifydb.mark_all_read(tenant_id, user_id), 0::bigint, 'mark_all_read again changes nothing') FROM t;
SELECT is(notifydb.unread_count(tenant_id, user_id), 0::bigint, 'nothing unread') FROM t;
SELECT is(
    (
        SELECT read_at FROM notifydb.notifications
        WHERE id = (
                SELECT id FROM made
                WHERE i = 2
            )
    ),
    (SELECT read_at FROM first_read), 'mark_all_read keeps the read_at of rows already read'
);

-- Soft delete.
SELECT is(notifydb.mark_unread(tenant_id, user_id, (SELECT array_agg(id) FROM made)), 6::bigint, 'all six unread again') FROM t;
SELECT is(notifydb.delete_notifications(tenant_id, user_id, (
    SELECT array_agg(id) FROM made
    WHERE i <= 3
)), 3::bigint, 'three deleted') FROM t;
SELECT is(notifydb.delete_notifications(tenant_id, user_id, (
    SELECT array_agg(id) FROM made
    WHERE i <= 3
)), 0::bigint, 'deleting again changes nothing') FROM t;
SELECT is(notifydb.mark_read(tenant_id, user_id, (
    SELECT array_agg(id) FROM made
    WHERE i <= 3
)), 0::bigint, 'deleted rows cannot be marked read') FROM t;

SELECT * FROM finish();
ROLLBACK;
