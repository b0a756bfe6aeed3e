"""Reading and writing notifydb.schema_history."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import psycopg

from notifydb.migrations.scripts import Script


@dataclass(frozen=True)
class HistoryRow:
    version: str | None
    kind: str
    script: str
    checksum: str
    success: bool
    defines: list[str] | None  # repeatable scripts: what they defined (of a removal: what was dropped)
    removed: bool  # a repeatable script deleted from disk, whose objects were dropped


def bootstrap(conn: psycopg.Connection) -> None:
    """Create the schema and the history table if missing (caller holds the lock)."""
    conn.execute(resources.files("notifydb.migrations").joinpath("bootstrap.sql").read_text())


def read(conn: psycopg.Connection) -> list[HistoryRow]:
    """Every row in order of application; empty when the table does not exist yet."""
    exists = conn.execute("SELECT pg_catalog.to_regclass('notifydb.schema_history') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT version, kind, script, checksum, success, defines, removed"
        " FROM notifydb.schema_history ORDER BY installed_rank"
    ).fetchall()
    return [HistoryRow(*row) for row in rows]


def latest(rows: list[HistoryRow]) -> dict[str, HistoryRow]:
    """The last row of each script, ordered by when that row was written."""
    last: dict[str, HistoryRow] = {}
    for row in rows:
        last.pop(row.script, None)
        last[row.script] = row
    return last


def record(
    conn: psycopg.Connection, script: Script, execution_ms: int, success: bool, defines: list[str] | None = None
) -> None:
    """Record one application; a success replaces an earlier failure of the same script."""
    if success:
        conn.execute(
            "DELETE FROM notifydb.schema_history WHERE script = %s AND NOT success",
            (script.name,),
        )
    conn.execute(
        "INSERT INTO notifydb.schema_history"
        " (version, kind, script, checksum, execution_ms, success, defines)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (script.version, script.kind, script.name, script.checksum, execution_ms, success, defines),
    )


def record_removal(conn: psycopg.Connection, applied: HistoryRow, execution_ms: int, dropped: list[str]) -> None:
    """Record that the repeatable script of ``applied`` (its last application) left the disk and
    that ``dropped`` were dropped."""
    conn.execute(
        "INSERT INTO notifydb.schema_history"
        " (kind, script, checksum, execution_ms, success, defines, removed)"
        " VALUES ('repeatable', %s, %s, %s, true, %s, true)",
        (applied.script, applied.checksum, execution_ms, dropped),
    )
