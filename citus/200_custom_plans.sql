-- Citus plans a statement on a distributed table for the values it is given:
-- a generic plan, with parameters where the values go, fails ("could not
-- create distributed plan"). The functions that force generic plans on one
-- node (functions/*.sql say why) get custom plans here instead, which costs
-- a planning per statement (bench/citus.py measures what a call costs).
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
            AND 'plan_cache_mode=force_generic_plan' = ANY(p.proconfig)
        ORDER BY p.oid
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET plan_cache_mode = force_custom_plan', v_routine);
    END LOOP;
END
$custom_plans$;
