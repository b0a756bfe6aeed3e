-- Every inbox and its size. Users are ranked; the row count of rank r is
-- base + c / (r + q) (a Zipf-Mandelbrot law over a floor), with c, q and
-- base solved by bench/zipf.py so that a few users hold 10,000+ rows. Users
-- are dealt to tenants round-robin, so heavy users sit in different tenants.
-- Each tenant also has a tenant-level inbox (user_id NULL).
WITH params AS (
    SELECT
        pg_catalog.current_setting('notifydb_bench.users')::integer AS users,
        pg_catalog.current_setting('notifydb_bench.tenants')::integer AS tenants,
        pg_catalog.current_setting('notifydb_bench.zipf_c')::float8 AS zipf_c,
        pg_catalog.current_setting('notifydb_bench.zipf_q')::float8 AS zipf_q,
        pg_catalog.current_setting('notifydb_bench.zipf_base')::float8 AS zipf_base,
        pg_catalog.current_setting('notifydb_bench.tenant_rows')::integer AS tenant_rows,
        pg_catalog.current_setting('notifydb_bench.reserve_fraction')::float8 AS reserve_fraction
),

users AS (
    SELECT
        ranks.user_rank AS recipient_no,
        pg_catalog.md5('notifydb-bench-tenant-' || (ranks.user_rank - 1) % p.tenants)::uuid AS tenant_id,
        pg_catalog.md5('notifydb-bench-user-' || ranks.user_rank)::uuid AS user_id,
        pg_catalog.round(p.zipf_base + p.zipf_c / (ranks.user_rank + p.zipf_q))::integer AS n_rows,
        p.reserve_fraction
    FROM params AS p
    CROSS JOIN pg_catalog.generate_series(1, p.users) AS ranks (user_rank)
),

tenant_inboxes AS (
    SELECT
        p.users + t.tenant_no + 1 AS recipient_no,
        pg_catalog.md5('notifydb-bench-tenant-' || t.tenant_no)::uuid AS tenant_id,
        NULL::uuid AS user_id,
        p.tenant_rows AS n_rows,
        p.reserve_fraction
    FROM params AS p
    CROSS JOIN pg_catalog.generate_series(0, p.tenants - 1) AS t (tenant_no)
)

INSERT INTO bench_meta.recipients (recipient_no, tenant_id, user_id, n_rows, n_reserve)
SELECT
    inboxes.recipient_no,
    inboxes.tenant_id,
    inboxes.user_id,
    greatest(inboxes.n_rows, 1) AS n_rows,
    pg_catalog.round(greatest(inboxes.n_rows, 1) * inboxes.reserve_fraction)::integer AS n_reserve
FROM (
    SELECT * FROM users
    UNION ALL
    SELECT * FROM tenant_inboxes
) AS inboxes;
