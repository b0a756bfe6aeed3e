-- Citus plans a statement on a distributed table for the values it is given:
-- a generic plan, with parameters where the values go, cannot be pruned to
-- one shard, and fails ("could not create distributed plan"), or inside a
-- call or trigger on a worker is refused as a distributed query nested in a
-- shard's. PL/pgSQL switches to a generic plan after five calls in a
-- session, and some functions force one on one node (functions/*.sql say
-- why): here every PL/pgSQL function gets custom plans instead, which costs a
-- planning per statement (bench/citus.py measures what a call costs).
-- migrate applies citus/ again after any run that (re)created functions.
SET LOCAL ROLE notifydb_owner;

DO $custom_plans$
DECLARE
    v_routine regprocedure;
BEGIN
    FOR v_routine IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 'notifydb'::regnamespace
            AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language AS l WHERE l.lanname = 'plpgsql')
            -- A procedure with a SET clause may not COMMIT; retention's
            -- only call functions, which have it.
            AND p.prokind = 'f'
            AND NOT coalesce('plan_cache_mode=force_custom_plan' = ANY(p.proconfig), FALSE)
        ORDER BY p.oid
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET plan_cache_mode = force_custom_plan', v_routine);
    END LOOP;
END
$custom_plans$;
