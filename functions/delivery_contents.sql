-- What a relay needs to actually send a claimed job: the notification's
-- content. Kept out of claim_deliveries (whose columns are fixed by the
-- contract) and limited to jobs under lease, so a relay reads only what it
-- was handed.
SET LOCAL ROLE notifydb_owner;

CREATE OR REPLACE FUNCTION notifydb.delivery_contents(p_job_ids bigint[])
RETURNS TABLE (
    job_id bigint,
    notification_id uuid,
    type text,
    title text,
    message text,
    data jsonb,
    created_at timestamptz,
    expires_at timestamptz,
    deleted_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_job_ids IS NULL THEN
        RAISE EXCEPTION 'p_job_ids must not be NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT o.job_id, n.id, n.type::text, n.title, n.message, n.data, n.created_at, n.expires_at, n.deleted_at
    FROM notifydb.delivery_outbox AS o
    INNER JOIN notifydb.notifications AS n ON n.tenant_id = o.tenant_id AND n.id = o.notification_id
    WHERE o.job_id = ANY (p_job_ids) AND o.leased_until IS NOT NULL
    ORDER BY o.job_id;
END
$$;

COMMENT ON FUNCTION notifydb.delivery_contents(bigint[]) IS
'The content to deliver for claimed outbox jobs (type, title, message, data; expires_at and deleted_at so a relay may skip withdrawn ones). Jobs not under lease are left out. For notifydb_delivery.';

REVOKE ALL ON FUNCTION notifydb.delivery_contents(bigint[]) FROM public;
GRANT EXECUTE ON FUNCTION notifydb.delivery_contents(bigint[]) TO notifydb_delivery;
