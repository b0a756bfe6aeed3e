-- What the runner needs before it can apply and record the first script.
-- V0001 hands both objects to notifydb_owner.
CREATE SCHEMA IF NOT EXISTS notifydb;

CREATE TABLE IF NOT EXISTS notifydb.schema_history (
    installed_rank integer GENERATED ALWAYS AS IDENTITY,
    version text,
    kind text NOT NULL,
    script text NOT NULL,
    checksum text NOT NULL,
    installed_by text NOT NULL DEFAULT session_user,
    installed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    execution_ms integer NOT NULL,
    success boolean NOT NULL,
    defines text[],
    removed boolean NOT NULL DEFAULT FALSE,
    CONSTRAINT schema_history_pkey PRIMARY KEY (installed_rank),
    CONSTRAINT schema_history_kind_check
    CHECK (kind IN ('versioned', 'repeatable')),
    CONSTRAINT schema_history_version_matches_kind
    CHECK ((version IS NOT NULL) = (kind = 'versioned')),
    CONSTRAINT schema_history_defines_matches_kind
    CHECK ((defines IS NOT NULL) = (kind = 'repeatable')),
    CONSTRAINT schema_history_removed_matches_kind
    CHECK (NOT removed OR kind = 'repeatable')
);

-- A version is applied at most once, whatever happens to the advisory lock.
CREATE UNIQUE INDEX IF NOT EXISTS schema_history_applied_version_idx
ON notifydb.schema_history (version)
WHERE kind = 'versioned' AND success;

COMMENT ON TABLE notifydb.schema_history IS
'What the notifydb runner applied: one row per versioned script, one per application or removal of a repeatable script.';
COMMENT ON COLUMN notifydb.schema_history.installed_rank IS
'Order of application.';
COMMENT ON COLUMN notifydb.schema_history.version IS
'Version of a versioned script; NULL for repeatable scripts.';
COMMENT ON COLUMN notifydb.schema_history.kind IS
'versioned (schema/, applied once) or repeatable (functions/, retention/, triggers/, re-applied when changed).';
COMMENT ON COLUMN notifydb.schema_history.script IS
'Path of the script relative to the project root.';
COMMENT ON COLUMN notifydb.schema_history.checksum IS
'SHA-256 of the script with LF line endings (of a removed script: as it was last applied).';
COMMENT ON COLUMN notifydb.schema_history.installed_by IS
'Session user that applied it.';
COMMENT ON COLUMN notifydb.schema_history.installed_at IS
'When it was applied.';
COMMENT ON COLUMN notifydb.schema_history.execution_ms IS
'How long it took, in milliseconds.';
COMMENT ON COLUMN notifydb.schema_history.success IS
'false only for a non-transactional script that failed part-way; migrate runs it again.';
COMMENT ON COLUMN notifydb.schema_history.defines IS
'Repeatable scripts: the functions, procedures and triggers the script defined once applied, as the catalog names them (function notifydb.f(uuid,bigint), trigger t on notifydb.tbl); of a removal, those dropped. NULL for versioned scripts.';
COMMENT ON COLUMN notifydb.schema_history.removed IS
'true for a repeatable script deleted from disk: migrate dropped what it defined. The script no longer counts as applied.';
