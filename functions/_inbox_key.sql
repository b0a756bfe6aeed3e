SET LOCAL ROLE notifydb_owner;

-- The key of an inbox, as notifications.inbox_key (a generated column) and
-- inbox_counters.inbox_key hold it: the user id, or the nil UUID for the
-- tenant-level inbox (user_id NULL), which is why no user may have the nil
-- UUID. Plain SQL, so the planner inlines it.
CREATE OR REPLACE FUNCTION notifydb._inbox_key(p_user_id uuid)
RETURNS uuid
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT coalesce(p_user_id, '00000000-0000-0000-0000-000000000000'::uuid)
$$;

COMMENT ON FUNCTION notifydb._inbox_key(uuid) IS
'Private: the inbox key of a user id: the id itself, or the nil UUID for the tenant-level inbox (user_id NULL).';

REVOKE ALL ON FUNCTION notifydb._inbox_key(uuid) FROM public;
