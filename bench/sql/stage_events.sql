-- Admin events over the last year: mostly low severity, 30 % platform-wide
-- (no tenant), older ones more often resolved. Ids follow creation time, as
-- the identity column would have given them.
WITH params AS (
    SELECT
        pg_catalog.current_setting('notifydb_bench.events')::integer AS events,
        pg_catalog.current_setting('notifydb_bench.users')::integer AS users,
        pg_catalog.current_setting('notifydb_bench.tenants')::integer AS tenants
),

draws AS (
    SELECT
        g.event_no,
        pg_catalog.now() - pg_catalog.random() * interval '365 days' AS created_at,
        pg_catalog.random() AS r_severity,
        pg_catalog.random() AS r_tenant,
        pg_catalog.random() AS r_user,
        pg_catalog.random() AS r_resolved,
        pg_catalog.random() AS r_later,
        (pg_catalog.random() * 100000)::integer AS subject_no,
        p.users,
        p.tenants
    FROM params AS p
    CROSS JOIN pg_catalog.generate_series(1, p.events) AS g (event_no)
),

shaped AS (
    SELECT
        d.*,
        CASE
            WHEN d.r_severity < 0.70 THEN 'low'
            WHEN d.r_severity < 0.90 THEN 'medium'
            WHEN d.r_severity < 0.98 THEN 'high'
            ELSE 'critical'
        END AS severity,
        -- Resolution is likelier for older events.
        d.r_resolved < 0.2 + 0.75 * pg_catalog.date_part('epoch', pg_catalog.now() - d.created_at)
        / pg_catalog.date_part('epoch', interval '365 days') AS is_resolved
    FROM draws AS d
)

INSERT INTO bench_meta.staged_events (
    id, created_at, event_type, severity, description, details,
    tenant_id, user_id, is_resolved, resolved_at, resolved_by
)
SELECT
    pg_catalog.row_number() OVER (ORDER BY s.created_at) AS id,
    s.created_at,
    (ARRAY[
        'incident_opened', 'quota_reached', 'job_failure', 'sending_paused',
        'api_key_rotated', 'integration_failed'
    ])[1 + (s.r_later * 6)::integer % 6] AS event_type,
    s.severity,
    'Condition #' || s.subject_no || ' needs attention: see the runbook for this event type.' AS description,
    CASE
        WHEN s.r_user < 0.5 THEN pg_catalog.jsonb_build_object('subject_id', s.subject_no, 'attempt', 1)
    END AS details,
    CASE
        WHEN s.r_tenant >= 0.3
            THEN pg_catalog.md5('notifydb-bench-tenant-' || (s.r_tenant * 1000000)::integer % s.tenants)::uuid
    END AS tenant_id,
    CASE
        WHEN s.r_user < 0.4
            THEN pg_catalog.md5('notifydb-bench-user-' || 1 + (s.r_user * 1000000)::integer % s.users)::uuid
    END AS user_id,
    s.is_resolved,
    CASE WHEN s.is_resolved THEN s.created_at + (pg_catalog.now() - s.created_at) * s.r_later * 0.1 END AS resolved_at,
    CASE
        WHEN s.is_resolved
            THEN pg_catalog.md5('notifydb-bench-user-' || 1 + (s.r_later * 1000000)::integer % s.users)::uuid
    END AS resolved_by
FROM shaped AS s
ORDER BY s.created_at;
