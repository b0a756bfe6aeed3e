SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb._announce(
    p_op text, p_tenant_id uuid, p_user_id uuid, p_ids uuid[], p_count bigint
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
    -- Nothing changed, nothing to say.
    IF p_count IS NULL OR p_count = 0 THEN
        RETURN;
    END IF;
    -- NOTIFY is transactional: listeners hear this only if the caller's
    -- transaction commits. At most 16 ids keep the payload under 1,000 bytes.
    -- seq makes every payload unique: Postgres delivers equal payloads of one
    -- transaction only once, and each call is one announcement.
    PERFORM pg_catalog.pg_notify(
        'notifydb',
        CASE
            WHEN p_ids IS NOT NULL AND pg_catalog.cardinality(p_ids) <= 16
                THEN pg_catalog.json_build_object(
                    'op', p_op, 'tenant_id', p_tenant_id, 'user_id', p_user_id, 'ids', p_ids,
                    'seq', pg_catalog.nextval('notifydb.announcement_seq')
                )
            ELSE pg_catalog.json_build_object(
                'op', p_op, 'tenant_id', p_tenant_id, 'user_id', p_user_id, 'count', p_count,
                'seq', pg_catalog.nextval('notifydb.announcement_seq')
            )
        END::text
    );
END
$$;

COMMENT ON FUNCTION notifydb._announce(text, uuid, uuid, uuid[], bigint) IS
'Private: one NOTIFY on channel notifydb per call that changed rows: op, tenant, user, the ids (at most 16) or their count, and seq (unique, so no two are folded into one); never row contents.';

REVOKE ALL ON FUNCTION notifydb._announce(text, uuid, uuid, uuid[], bigint) FROM public;
