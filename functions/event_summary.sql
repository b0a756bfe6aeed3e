-- Unresolved system events per severity.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.event_summary(p_tenant_id uuid DEFAULT NULL)
RETURNS TABLE (severity text, unresolved bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- One count per severity on the partial unresolved indexes (see schema/V0004__admin_system_events.sql);
    -- severities without events count zero.
    IF p_tenant_id IS NOT NULL THEN
        RETURN QUERY
        SELECT s.severity, (
            SELECT pg_catalog.count(*) FROM notifydb.admin_system_events AS e
            WHERE e.tenant_id = p_tenant_id AND e.severity = s.severity AND NOT e.is_resolved
        )
        FROM pg_catalog.unnest(notifydb._event_severities()) WITH ORDINALITY AS s (severity, rank)
        ORDER BY s.rank;
    ELSE
        RETURN QUERY
        SELECT s.severity, (
            SELECT pg_catalog.count(*) FROM notifydb.admin_system_events AS e
            WHERE e.severity = s.severity AND NOT e.is_resolved
        )
        FROM pg_catalog.unnest(notifydb._event_severities()) WITH ORDINALITY AS s (severity, rank)
        ORDER BY s.rank;
    END IF;
END
$$;

COMMENT ON FUNCTION notifydb.event_summary(uuid) IS
'Unresolved system events per severity, one row for each of low, medium, high, critical in that order (zeros included); p_tenant_id NULL counts every tenant.';

REVOKE ALL ON FUNCTION notifydb.event_summary(uuid) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.event_summary(uuid) TO notifydb_admin;
