-- One batch of notifications into the staging table: chunk k of K takes the
-- k-th K-th of every inbox's rows (rows round(k n / K) + 1 .. round((k + 1) n / K)
-- of an inbox of n). Every row's age and state are drawn at random, so each chunk
-- has the full data set's shape, and the first j chunks hold j / K of each inbox,
-- live and reserve rows alike (the small table of the growth figures).
--
-- Live rows span the last 90 days: older ones are more often read (70 % on
-- average), 5 % are soft-deleted, 20 % carry expires_at (a TTL of 1-180
-- days, so about a quarter of those are past). Reserve rows are older than any retention age
-- the purge measurement uses; it deletes them and then stages them again.
-- Rows are sorted by creation time, as an application would have written
-- them, so an inbox's rows are spread over the heap.
WITH params AS (
    SELECT
        pg_catalog.current_setting('notifydb_bench.chunk')::integer AS chunk,
        pg_catalog.current_setting('notifydb_bench.chunks')::integer AS chunks,
        pg_catalog.current_setting('notifydb_bench.include_live')::boolean AS include_live,
        pg_catalog.current_setting('notifydb_bench.include_reserve')::boolean AS include_reserve,
        pg_catalog.current_setting('notifydb_bench.reserve_min_age')::interval AS reserve_min_age
),

slots AS (
    -- (2 k n + K) / (2 K) is round(k n / K) in integer arithmetic.
    SELECT
        rc.recipient_no,
        rc.tenant_id,
        rc.user_id,
        g.row_no,
        FALSE AS is_reserve
    FROM bench_meta.recipients AS rc
    CROSS JOIN params AS p
    CROSS JOIN
        LATERAL pg_catalog.generate_series(
            (2 * p.chunk * rc.n_rows + p.chunks) / (2 * p.chunks) + 1,
            (2 * (p.chunk + 1) * rc.n_rows + p.chunks) / (2 * p.chunks)
        ) AS g (row_no)
    WHERE p.include_live
    UNION ALL
    SELECT
        rc.recipient_no,
        rc.tenant_id,
        rc.user_id,
        g.row_no,
        TRUE AS is_reserve
    FROM bench_meta.recipients AS rc
    CROSS JOIN params AS p
    CROSS JOIN
        LATERAL pg_catalog.generate_series(
            (2 * p.chunk * rc.n_reserve + p.chunks) / (2 * p.chunks) + 1,
            (2 * (p.chunk + 1) * rc.n_reserve + p.chunks) / (2 * p.chunks)
        ) AS g (row_no)
    WHERE p.include_reserve
),

draws AS (
    -- Volatile columns keep this subquery from being flattened: one draw per row.
    SELECT
        s.tenant_id,
        s.user_id,
        s.is_reserve,
        pg_catalog.random() AS r_age,
        pg_catalog.random() AS r_read,
        pg_catalog.random() AS r_later,
        pg_catalog.random() AS r_deleted,
        pg_catalog.random() AS r_expires,
        pg_catalog.random() AS r_kind,
        pg_catalog.random() AS r_channel,
        (pg_catalog.random() * 100000)::integer AS subject_no
    FROM slots AS s
),

timed AS (
    SELECT
        d.*,
        CASE
            WHEN d.is_reserve
                THEN pg_catalog.now() - p.reserve_min_age - d.r_age * interval '30 days'
            ELSE pg_catalog.now() - d.r_age * interval '90 days'
        END AS created_at
    FROM draws AS d
    CROSS JOIN params AS p
),

shaped AS (
    SELECT
        t.*,
        t.is_reserve OR t.r_read < 0.5 + 0.4 * t.r_age AS is_read,
        (ARRAY[
            'CAMPAIGN_COMPLETED', 'QUOTA_WARNING', 'IMPORT_FINISHED', 'MENTION',
            'COMMENT_REPLY', 'INVOICE_READY', 'SECURITY_ALERT', 'EXPORT_READY'
        ])[1 + (t.r_kind * 8)::integer % 8] AS type
    FROM timed AS t
)

INSERT INTO bench_meta.staged_notifications (
    id, user_id, tenant_id, type, title, message, channel, is_read,
    created_at, read_at, expires_at, deleted_at, data
)
SELECT
    bench_meta.uuid_v7(s.created_at) AS id,
    s.user_id,
    s.tenant_id,
    s.type,
    pg_catalog.initcap(pg_catalog.replace(s.type, '_', ' ')) || ' #' || s.subject_no AS title,
    'Item #' || s.subject_no || ' changed state. Open the dashboard to see the details, '
    || 'adjust your notification settings, or dismiss this message.' AS message,
    CASE
        WHEN s.r_channel < 0.85 THEN 'in_app'
        WHEN s.r_channel < 0.95 THEN 'email'
        ELSE 'push'
    END AS channel,
    s.is_read,
    s.created_at,
    CASE WHEN s.is_read THEN s.created_at + (pg_catalog.now() - s.created_at) * s.r_later * 0.5 END AS read_at,
    CASE
        WHEN s.r_expires < 0.2
            THEN s.created_at + interval '1 day' + interval '179 days' * (s.r_expires / 0.2)
    END AS expires_at,
    CASE WHEN s.r_deleted < 0.05 THEN s.created_at + (pg_catalog.now() - s.created_at) * s.r_later END AS deleted_at,
    CASE
        WHEN s.r_channel < 0.3 THEN pg_catalog.jsonb_build_object('subject_id', s.subject_no, 'url', '/items/' || s.subject_no)
    END AS data
FROM shaped AS s
ORDER BY s.created_at;
