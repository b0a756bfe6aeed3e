SET LOCAL ROLE notifydb_owner;

-- How many unread rows (up to p_limit) an inbox's read horizon reads, or,
-- for the seen horizon, how many unread rows above the read horizon it
-- covers: what writing it out would cost, counted no further than the
-- alternative's cost.
CREATE OR REPLACE FUNCTION notifydb._count_behind_horizon(
    p_tenant_id uuid,
    p_user_id uuid,
    p_horizon timestamptz,
    p_unseen_only boolean,
    p_read_horizon timestamptz,
    p_limit bigint
)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
-- Plans made for the actual p_user_id turn the NULL-safe inbox test into a
-- plain index condition (user_id = x, or user_id IS NULL).
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    RETURN (
        SELECT pg_catalog.count(*)
        FROM (
            SELECT
            FROM notifydb.notifications AS n
            WHERE n.tenant_id = p_tenant_id
                AND (n.user_id = p_user_id OR (p_user_id IS NULL AND n.user_id IS NULL))
                AND n.created_at <= p_horizon
                AND NOT n.is_read
                AND n.deleted_at IS NULL
                AND (NOT p_unseen_only OR (n.seen_at IS NULL AND n.created_at > coalesce(p_read_horizon, '-infinity')))
            LIMIT p_limit
        ) AS behind
    );
END
$$;

COMMENT ON FUNCTION notifydb._count_behind_horizon(uuid, uuid, timestamptz, boolean, timestamptz, bigint) IS
'Private: how many unread notifications (with p_unseen_only, unseen ones above p_read_horizon) of the inbox lie at or below p_horizon, counting at most p_limit.';

REVOKE ALL ON FUNCTION notifydb._count_behind_horizon(uuid, uuid, timestamptz, boolean, timestamptz, bigint) FROM public;
