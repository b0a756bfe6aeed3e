"""The migration runner: versioned scripts in schema/, repeatable ones in functions/, retention/ and triggers/."""

from notifydb.migrations.migrator import MigrateOptions, MigrationError, Migrator
from notifydb.migrations.scripts import Script, discover_scripts
from notifydb.migrations.status import ScriptState, StatusReport

__all__ = [
    "MigrateOptions",
    "MigrationError",
    "Migrator",
    "Script",
    "ScriptState",
    "StatusReport",
    "discover_scripts",
]
