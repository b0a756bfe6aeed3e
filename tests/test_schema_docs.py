"""docs/schema.sql and docs/er.md match what the current scripts build."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.support.postgres_server import migrated
from tests.support.schema_docs import (
    ER_MD,
    REGENERATE,
    SCHEMA_SQL,
    er_markdown,
    recorded_major,
    schema_sql,
    server_major,
)


def assert_current(path: Path, generated: str) -> None:
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    if committed != generated:
        name = f"docs/{path.name}"
        diff = difflib.unified_diff(committed.splitlines(), generated.splitlines(), name, "generated", lineterm="")
        shown = "\n".join(list(diff)[:60])
        pytest.fail(f"{name} is stale; regenerate it with: {REGENERATE}\n{shown}", pytrace=False)


def test_er_diagram_is_current(fresh_dsn: str) -> None:
    assert_current(ER_MD, er_markdown(migrated(fresh_dsn)))


def test_schema_dump_is_current(fresh_dsn: str) -> None:
    # pg_dump's output differs between majors; the ER diagram above does not.
    recorded = recorded_major(SCHEMA_SQL.read_text(encoding="utf-8")) if SCHEMA_SQL.exists() else None
    running = server_major(fresh_dsn)
    if recorded is not None and recorded != running:
        pytest.skip(
            f"docs/schema.sql was dumped from PostgreSQL {recorded}, this server is PostgreSQL {running}:"
            " only docs/er.md is compared"
        )
    assert_current(SCHEMA_SQL, schema_sql(migrated(fresh_dsn)))
