SET LOCAL ROLE notifydb_owner;

-- Lowers the inbox's read or seen horizon (p_kind) below p_below without
-- changing any notification's state: the rows it covers from p_below up get
-- the state it gave them written out first (read, or seen, as of the time
-- the horizon was set), except p_keep_ids, new rows that must stay as they
-- were inserted. The counter trigger sees no count move: those rows counted
-- as read (seen) before and after. p_below '-infinity' writes out the whole
-- horizon and clears it. The caller holds the counter's lock (_lock_inbox).
CREATE OR REPLACE FUNCTION notifydb._lower_horizon(
    p_tenant_id uuid, p_inbox_key uuid, p_kind text, p_below timestamptz, p_keep_ids uuid[]
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
-- Generic plans: every argument has the same best plan (index ranges of one
-- inbox), and plpgsql would otherwise plan each call afresh.
SET plan_cache_mode = force_generic_plan
-- Lowering may write out many rows: keep the update trigger's transition
-- tables in memory.
SET work_mem = '64MB'
AS $$
DECLARE
    v_read boolean := p_kind = 'read';
    v_counters notifydb.inbox_counters;
    v_horizon timestamptz;
    v_horizon_at timestamptz;
    v_lowered timestamptz := CASE WHEN p_below > '-infinity' THEN p_below - interval '1 microsecond' END;
BEGIN
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id AND c.inbox_key = p_inbox_key;
    v_horizon := CASE WHEN v_read THEN v_counters.read_horizon ELSE v_counters.seen_horizon END;
    v_horizon_at := CASE WHEN v_read THEN v_counters.read_horizon_at ELSE v_counters.seen_horizon_at END;
    IF v_horizon IS NULL OR v_horizon < p_below THEN
        RETURN;
    END IF;
    UPDATE notifydb.notifications AS n
    SET is_read = n.is_read OR v_read,
        read_at = CASE WHEN v_read THEN v_horizon_at ELSE n.read_at END,
        seen_at = coalesce(n.seen_at, v_horizon_at)
    WHERE n.tenant_id = p_tenant_id
        AND n.inbox_key = p_inbox_key
        AND n.created_at >= p_below
        AND n.created_at <= v_horizon
        AND NOT n.is_read
        AND n.deleted_at IS NULL
        AND (v_read OR n.seen_at IS NULL)
        AND n.id <> ALL(p_keep_ids);
    UPDATE notifydb.inbox_counters AS c
    SET read_horizon = CASE WHEN v_read THEN v_lowered ELSE c.read_horizon END,
        read_horizon_at = CASE WHEN NOT v_read THEN c.read_horizon_at WHEN v_lowered IS NOT NULL THEN v_horizon_at END,
        seen_horizon = CASE WHEN v_read THEN c.seen_horizon ELSE v_lowered END,
        seen_horizon_at = CASE WHEN v_read THEN c.seen_horizon_at WHEN v_lowered IS NOT NULL THEN v_horizon_at END
    WHERE c.tenant_id = p_tenant_id AND c.inbox_key = p_inbox_key;
END
$$;

COMMENT ON FUNCTION notifydb._lower_horizon(uuid, uuid, text, timestamptz, uuid[]) IS
'Private: lowers the inbox''s read or seen horizon (p_kind) below p_below, writing out the state it gave the rows from there up (except p_keep_ids); ''-infinity'' clears it.';

REVOKE ALL ON FUNCTION notifydb._lower_horizon(uuid, uuid, text, timestamptz, uuid[]) FROM public;
