-- Roles, schema ownership and default privileges.
--
-- This is the only script that runs as the connecting user rather than as
-- notifydb_owner: it creates the roles every later script relies on. The
-- runner has already created the schema notifydb and its history table
-- (so that it can record this script); here they are handed to the owner.

-- Roles are cluster-wide: another database of the same cluster may have
-- created them already, or be creating them at this very moment.
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[
        'notifydb_owner',
        'notifydb_app',
        'notifydb_admin',
        'notifydb_retention',
        'notifydb_delivery'
    ] LOOP
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_role
        ) THEN
            BEGIN
                EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created concurrently by another database's migration
            END;
        END IF;
    END LOOP;
END
$roles$;

-- A DBA without superuser (CREATEROLE, as on managed services) must be able
-- to SET ROLE notifydb_owner in the scripts that follow.
DO $membership$
BEGIN
    IF NOT (
        SELECT r.rolsuper FROM pg_catalog.pg_roles AS r
        WHERE r.rolname = current_user
    ) THEN
        EXECUTE pg_catalog.format(
            'GRANT notifydb_owner TO %I', current_user
        );
    END IF;
END
$membership$;

-- notifydb_admin may do everything notifydb_app may.
GRANT notifydb_app TO notifydb_admin;

ALTER SCHEMA notifydb OWNER TO notifydb_owner;
ALTER TABLE notifydb.schema_history OWNER TO notifydb_owner;

REVOKE ALL ON SCHEMA notifydb FROM public;
GRANT USAGE ON SCHEMA notifydb
TO notifydb_app, notifydb_admin, notifydb_retention, notifydb_delivery;

-- Functions are the interface, so nobody may call one unless granted.
ALTER DEFAULT PRIVILEGES FOR ROLE notifydb_owner
REVOKE EXECUTE ON FUNCTIONS FROM public;

COMMENT ON SCHEMA notifydb IS
'notifydb: in-app notifications and curated system events. Tables are private; applications call the functions.';
