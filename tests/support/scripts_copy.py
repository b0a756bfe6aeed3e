"""A copy of the project's scripts in a temporary folder, for tests that add or change files."""

from __future__ import annotations

import shutil
from pathlib import Path

from notifydb.migrations.scripts import REPEATABLE_DIRS, VERSIONED_DIR
from tests.support.cli import PROJECT_ROOT


def copy_scripts(destination: Path) -> Path:
    """schema/ and every repeatable folder the project has."""
    for folder in (VERSIONED_DIR, *REPEATABLE_DIRS):
        if (PROJECT_ROOT / folder).is_dir():
            shutil.copytree(PROJECT_ROOT / folder, destination / folder)
    return destination


def next_version(scripts_dir: Path) -> int:
    versions = [int(p.name[1:].split("__")[0]) for p in (scripts_dir / "schema").glob("V*.sql")]
    return max(versions) + 1


def add_versioned(scripts_dir: Path, description: str, sql: str) -> Path:
    path = scripts_dir / "schema" / f"V{next_version(scripts_dir):04d}__{description}.sql"
    path.write_text(sql)
    return path
