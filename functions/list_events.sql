-- Lists system events newest first, with keyset paging and filters.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.list_events(
    p_tenant_id uuid DEFAULT NULL,
    p_min_severity text DEFAULT NULL,
    p_unresolved_only boolean DEFAULT FALSE,
    p_limit integer DEFAULT 50,
    p_before_id bigint DEFAULT NULL
)
RETURNS SETOF notifydb.admin_system_events
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Left to choose, plpgsql re-plans the severity probes and the all-events
-- page on every call (a generic LIMIT looks dear to it), though each of
-- these queries has one best plan whatever the arguments.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_rank integer := pg_catalog.array_position(
        notifydb._event_severities(), COALESCE(p_min_severity, 'low')
    );
    v_severities text [];
    v_limit integer := GREATEST(1, LEAST(COALESCE(p_limit, 50), 100));
    v_before_id bigint := COALESCE(p_before_id, 9223372036854775807);
BEGIN
    IF v_rank IS NULL THEN
        RAISE EXCEPTION 'p_min_severity must be low, medium, high or critical'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- Any severity (the frequent case): one backward scan of an id-ordered
    -- index (see schema/V0004__admin_system_events.sql) returns the page itself, rows included. All
    -- tenants' unresolved events take the per-severity probes below.
    IF v_rank = 1 AND p_tenant_id IS NOT NULL AND p_unresolved_only THEN
        RETURN QUERY
        SELECT e.* FROM notifydb.admin_system_events AS e
        WHERE e.tenant_id = p_tenant_id AND NOT e.is_resolved AND e.id < v_before_id
        ORDER BY e.id DESC LIMIT v_limit;
        RETURN;
    ELSIF v_rank = 1 AND p_tenant_id IS NOT NULL THEN
        RETURN QUERY
        SELECT e.* FROM notifydb.admin_system_events AS e
        WHERE e.tenant_id = p_tenant_id AND e.id < v_before_id
        ORDER BY e.id DESC LIMIT v_limit;
        RETURN;
    ELSIF v_rank = 1 AND p_unresolved_only IS NOT TRUE THEN
        RETURN QUERY
        SELECT e.* FROM notifydb.admin_system_events AS e
        WHERE e.id < v_before_id
        ORDER BY e.id DESC LIMIT v_limit;
        RETURN;
    END IF;

    v_severities := (notifydb._event_severities())[v_rank:];

    -- Each severity's newest v_limit ids come from one index range already
    -- in id order (see schema/V0004__admin_system_events.sql), index-only once vacuumed; the newest v_limit
    -- of those make the page, and only they are read from the table.
    -- One static query per tenant/unresolved case, so each keeps a cached
    -- plan on its own index (the unresolved ones on the partial indexes).
    -- Severity is matched as a one-value range, not with '=': with '=' the
    -- planner takes severity as fixed, drops it from the ORDER BY, and may
    -- walk the primary key filtering severities row by row, not knowing how
    -- rare the probed one is. Ordered by (severity, id), only an index that
    -- has severity before id serves the probe.
    IF p_tenant_id IS NOT NULL AND p_unresolved_only THEN
        RETURN QUERY
        SELECT e.* FROM (
            SELECT newest.id FROM pg_catalog.unnest(v_severities) AS s (severity)
            CROSS JOIN LATERAL (
                SELECT e.id FROM notifydb.admin_system_events AS e
                WHERE e.tenant_id = p_tenant_id AND e.severity BETWEEN s.severity AND s.severity AND NOT e.is_resolved
                    AND e.id < v_before_id
                ORDER BY e.severity DESC, e.id DESC LIMIT v_limit
            ) AS newest
            ORDER BY newest.id DESC LIMIT v_limit
        ) AS page
        INNER JOIN notifydb.admin_system_events AS e ON e.id = page.id
        ORDER BY e.id DESC;
    ELSIF p_tenant_id IS NOT NULL THEN
        RETURN QUERY
        SELECT e.* FROM (
            SELECT newest.id FROM pg_catalog.unnest(v_severities) AS s (severity)
            CROSS JOIN LATERAL (
                SELECT e.id FROM notifydb.admin_system_events AS e
                WHERE e.tenant_id = p_tenant_id AND e.severity BETWEEN s.severity AND s.severity
                    AND e.id < v_before_id
                ORDER BY e.severity DESC, e.id DESC LIMIT v_limit
            ) AS newest
            ORDER BY newest.id DESC LIMIT v_limit
        ) AS page
        INNER JOIN notifydb.admin_system_events AS e ON e.id = page.id
        ORDER BY e.id DESC;
    ELSIF p_unresolved_only THEN
        RETURN QUERY
        SELECT e.* FROM (
            SELECT newest.id FROM pg_catalog.unnest(v_severities) AS s (severity)
            CROSS JOIN LATERAL (
                SELECT e.id FROM notifydb.admin_system_events AS e
                WHERE e.severity BETWEEN s.severity AND s.severity AND NOT e.is_resolved
                    AND e.id < v_before_id
                ORDER BY e.severity DESC, e.id DESC LIMIT v_limit
            ) AS newest
            ORDER BY newest.id DESC LIMIT v_limit
        ) AS page
        INNER JOIN notifydb.admin_system_events AS e ON e.id = page.id
        ORDER BY e.id DESC;
    ELSE
        -- All events of all tenants are dense in the table: rows inserted
        -- together share pages, so reading the newest rows of a severity in
        -- its range costs fewer page reads than ids first, then each row by
        -- primary key. (The other cases' rows are sparse: a page each.)
        RETURN QUERY
        SELECT newest.* FROM pg_catalog.unnest(v_severities) AS s (severity)
        CROSS JOIN LATERAL (
            SELECT e.* FROM notifydb.admin_system_events AS e
            WHERE e.severity BETWEEN s.severity AND s.severity
                AND e.id < v_before_id
            ORDER BY e.severity DESC, e.id DESC LIMIT v_limit
        ) AS newest
        ORDER BY newest.id DESC LIMIT v_limit;
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb.list_events(uuid, text, boolean, integer, bigint) IS
'System events newest first (id DESC). p_tenant_id NULL lists every tenant; p_min_severity keeps that severity and above; p_unresolved_only hides resolved ones; p_limit is clamped to 1..100 (NULL: 50), never refused; pass the last id of a page as p_before_id for the next.';

REVOKE ALL ON FUNCTION notifydb.list_events(uuid, text, boolean, integer, bigint) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.list_events(uuid, text, boolean, integer, bigint) TO notifydb_admin;
