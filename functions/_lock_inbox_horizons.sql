SET LOCAL ROLE notifydb_owner;

-- Functions that move an inbox's horizons (mark_all_read, mark_seen, and
-- mark_unread below the read horizon) take this first, before any row or
-- counter lock, so that they take turns: each then reads horizons that only
-- it can set or lower. The two-key form keeps apart from bigint keys; the
-- first key is a notifydb constant, the second a hash of the inbox (a clash
-- only makes two inboxes take turns).
CREATE OR REPLACE FUNCTION notifydb._lock_inbox_horizons(p_tenant_id uuid, p_user_id uuid)
RETURNS void
LANGUAGE sql
VOLATILE
AS $$
    SELECT pg_catalog.pg_advisory_xact_lock(
        1853195364,
        pg_catalog.hashtext(p_tenant_id::text || '/' || coalesce(p_user_id::text, 'tenant'))
    )
$$;

COMMENT ON FUNCTION notifydb._lock_inbox_horizons(uuid, uuid) IS
'Private: a transaction advisory lock per inbox that the functions moving its read or seen horizon take first, so that they take turns.';

REVOKE ALL ON FUNCTION notifydb._lock_inbox_horizons(uuid, uuid) FROM public;
