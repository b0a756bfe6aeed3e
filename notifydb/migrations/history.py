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


def bootstrap(conn: psycopg.Connection) -> None:
    """Create the schema and the history table if missing (caller holds the lock)."""
    sql = resources.files("notifydb.migrations").joinpath("bootstrap.sql").read_text()
    with conn.transaction():
        conn.execute(sql)


def read(conn: psycopg.Connection) -> list[HistoryRow]:
    """Every row in order of application; empty when the table does not exist yet."""
    exists = conn.execute("SELECT pg_catalog.to_regclass('notifydb.schema_history') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT version, kind, script, checksum, success FROM notifydb.schema_history ORDER BY installed_rank"
    ).fetchall()
    return [HistoryRow(*row) for row in rows]


def record(conn: psycopg.Connection, script: Script, execution_ms: int, success: bool) -> None:
    """Record one application; a success replaces an earlier failure of the same script."""
    if success:
        conn.execute(
            "DELETE FROM notifydb.schema_history WHERE script = %s AND NOT success",
            (script.name,),
        )
    conn.execute(
        "INSERT INTO notifydb.schema_history"
        " (version, kind, script, checksum, execution_ms, success)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (script.version, script.kind, script.name, script.checksum, execution_ms, success),
    )
