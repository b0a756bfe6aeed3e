SET LOCAL ROLE notifydb_owner;

-- mark_all_read (p_kind 'read') and mark_seen ('seen'): everything of the
-- inbox created up to p_up_to becomes read (seen). Through the horizon, one
-- counter update however many rows that covers: the new horizon is p_up_to,
-- or the newest counted row if that is older (nothing counted lies above
-- unread_newest_at), so rows created later land above it. An older horizon
-- of the same kind reads its rows as of its own time, so either the rows
-- between the two are marked one by one, or, when that is more rows than
-- the old horizon covers, the old one is written out and a new one set.
-- The caller holds the counter's lock (_lock_inbox). Returns how many
-- visible (not expired) notifications became read (seen).
CREATE OR REPLACE FUNCTION notifydb._raise_horizon(
    p_tenant_id uuid, p_inbox_key uuid, p_kind text, p_up_to timestamptz
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
-- Generic plans: every argument has the same best plan (index ranges of one
-- inbox), and plpgsql would otherwise plan each call afresh.
SET plan_cache_mode = force_generic_plan
-- Marking rows one by one puts them in the update trigger's transition
-- tables: keep those in memory.
SET work_mem = '64MB'
AS $$
DECLARE
    v_read boolean := p_kind = 'read';
    v_counter text := CASE WHEN p_kind = 'read' THEN 'unread' ELSE 'unseen' END;
    v_counters notifydb.inbox_counters;
    v_horizon timestamptz;
    v_new timestamptz;
    v_above_unread bigint := 0;
    v_above_unseen bigint := 0;
    v_covered bigint;
    v_expired bigint;
    v_changed bigint;
    -- A variable, not now() in the CASEs below: Citus evaluates those on the
    -- shard and refuses a non-immutable function there.
    v_now timestamptz := pg_catalog.now();
BEGIN
    SELECT c.* INTO v_counters
    FROM notifydb.inbox_counters AS c
    WHERE c.tenant_id = p_tenant_id AND c.inbox_key = p_inbox_key;
    v_horizon := CASE WHEN v_read THEN v_counters.read_horizon ELSE v_counters.seen_horizon END;
    v_new := least(p_up_to, v_counters.unread_newest_at);
    IF v_counters.unread_newest_at IS NULL OR v_new <= coalesce(v_horizon, '-infinity') THEN
        RETURN 0;
    END IF;
    -- What stays counted: the counted rows above the new horizon.
    IF v_new < v_counters.unread_newest_at THEN
        SELECT
            pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, 'unread')),
            pg_catalog.count(*) FILTER (WHERE notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, 'unseen'))
        INTO v_above_unread, v_above_unseen
        FROM notifydb.notifications AS n
        WHERE n.tenant_id = p_tenant_id
            AND n.inbox_key = p_inbox_key
            AND n.created_at > v_new
            AND NOT n.is_read
            AND n.deleted_at IS NULL;
    END IF;
    v_covered := CASE WHEN v_read THEN v_counters.unread - v_above_unread ELSE v_counters.unseen - v_above_unseen END;
    IF v_covered = 0 THEN
        RETURN 0;
    END IF;
    IF v_horizon IS NOT NULL THEN
        -- Fewer rows to mark than the old horizon covers: mark them.
        IF (
            SELECT pg_catalog.count(*) FROM (
                SELECT FROM notifydb.notifications AS n
                WHERE n.tenant_id = p_tenant_id
                    AND n.inbox_key = p_inbox_key
                    AND n.created_at <= v_horizon
                    AND NOT n.is_read
                    AND n.deleted_at IS NULL
                    AND (v_read OR n.seen_at IS NULL)
                LIMIT v_covered
            ) AS behind
        ) >= v_covered THEN
            UPDATE notifydb.notifications AS n
            SET is_read = n.is_read OR v_read,
                read_at = CASE WHEN v_read THEN v_now ELSE n.read_at END,
                seen_at = coalesce(n.seen_at, v_now)
            WHERE n.tenant_id = p_tenant_id
                AND n.inbox_key = p_inbox_key
                AND n.created_at <= v_new
                AND notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, v_counter)
                AND (n.expires_at IS NULL OR n.expires_at > pg_catalog.now());
            GET DIAGNOSTICS v_changed = ROW_COUNT;
            RETURN v_changed;
        END IF;
        PERFORM notifydb._lower_horizon(p_tenant_id, p_inbox_key, p_kind, '-infinity', '{}');
    END IF;
    -- Counted rows the new horizon covers that had expired change too, but
    -- nobody sees that.
    SELECT pg_catalog.count(*) INTO v_expired
    FROM notifydb.notifications AS n
    WHERE n.tenant_id = p_tenant_id
        AND n.inbox_key = p_inbox_key
        AND n.expires_at <= pg_catalog.now()
        AND n.created_at <= v_new
        AND notifydb._is_counted(ROW(n.*)::notifydb.notifications, v_counters, v_counter);
    UPDATE notifydb.inbox_counters AS c
    SET read_horizon = CASE WHEN v_read THEN v_new ELSE c.read_horizon END,
        read_horizon_at = CASE WHEN v_read THEN v_now ELSE c.read_horizon_at END,
        seen_horizon = CASE WHEN v_read THEN c.seen_horizon ELSE v_new END,
        seen_horizon_at = CASE WHEN v_read THEN c.seen_horizon_at ELSE v_now END,
        unread = CASE WHEN v_read THEN v_above_unread ELSE c.unread END,
        unseen = v_above_unseen,
        unread_newest_at = CASE WHEN v_read AND v_above_unread = 0 THEN NULL ELSE c.unread_newest_at END
    WHERE c.tenant_id = p_tenant_id AND c.inbox_key = p_inbox_key;
    RETURN v_covered - v_expired;
END
$$;

COMMENT ON FUNCTION notifydb._raise_horizon(uuid, uuid, text, timestamptz) IS
'Private, for mark_all_read and mark_seen: makes every notification of the inbox created up to p_up_to read (p_kind read) or seen (seen) through its horizon, or row by row when that costs less; returns how many visible ones changed.';

REVOKE ALL ON FUNCTION notifydb._raise_horizon(uuid, uuid, text, timestamptz) FROM public;
