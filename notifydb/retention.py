"""Running retention from a client session: the purge procedures batch by batch,
a dry-run count, and the export of events before they are purged.

Everything runs in autocommit mode (the procedures COMMIT between batches) and
as of one `now` fetched from the server once, so the count, the export and
the purge all use the same cutoffs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

TABLE_PROCEDURES = {"notifications": "notifydb.purge_notifications", "events": "notifydb.purge_events"}
EXPORT_PAGE_SIZE = 1000


class RetentionSkipped(Exception):
    """Another retention run holds the lock, or the server is a hot standby."""


@dataclass(frozen=True)
class Batch:
    table: str
    number: int
    rows: int
    total: int
    elapsed: float


@dataclass
class RetentionResult:
    now: object  # the server's timestamptz the cutoffs were computed from
    deleted: dict[str, int]
    exported_events: int | None
    elapsed: float


def require_autocommit(conn: psycopg.Connection) -> None:
    if not conn.autocommit:
        raise ValueError("retention needs an autocommit connection: the procedures COMMIT between batches")


def lock_and_fix_now(conn: psycopg.Connection):
    """Take the retention lock for this session (the procedures re-enter it) and read `now` once."""
    require_autocommit(conn)
    in_recovery, locked, now = conn.execute(
        "SELECT pg_catalog.pg_is_in_recovery(),"
        " NOT pg_catalog.pg_is_in_recovery()"
        " AND pg_catalog.pg_try_advisory_lock(notifydb._retention_lock_key()),"
        " pg_catalog.now()"
    ).fetchone()
    if in_recovery:
        raise RetentionSkipped("this server is a hot standby; retention runs on the primary")
    if not locked:
        raise RetentionSkipped("another retention run is in progress")
    return now


def unlock(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_catalog.pg_advisory_unlock(notifydb._retention_lock_key())")


def due_counts(conn: psycopg.Connection, now) -> dict[str, int]:
    """What a purge as of `now` would delete (the same predicates the purge uses)."""
    notifications, events = conn.execute("SELECT * FROM notifydb._retention_due_counts(%s)", (now,)).fetchone()
    return {"notifications": notifications, "events": events}


def export_events(conn: psycopg.Connection, now, path: Path) -> int:
    """Write every event a purge as of `now` would delete to `path` as JSON lines, durably.

    Returns how many. The purge that follows with the same `now` deletes a
    subset of these: an event's last activity (latest of created, last seen,
    resolved) only moves forward, so an event not due at export time cannot
    become due later for the same cutoff.
    """
    written = 0
    after_activity, after_id = None, None
    with open(path, "w", encoding="utf-8") as out:
        while True:
            rows = conn.execute(
                "SELECT last_activity, id, event::text FROM notifydb._export_events_page(%s, %s, %s, %s)",
                (now, after_activity, after_id, EXPORT_PAGE_SIZE),
            ).fetchall()
            for _activity, _id, event in rows:
                out.write(event + "\n")
            written += len(rows)
            if len(rows) < EXPORT_PAGE_SIZE:
                break
            after_activity, after_id, _ = rows[-1]
        out.flush()
        os.fsync(out.fileno())
    _fsync_directory(path.resolve().parent)
    return written


def _fsync_directory(directory: Path) -> None:
    """Make the file's directory entry durable too (a new file is lost otherwise on a crash)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def purge(
    conn: psycopg.Connection,
    table: str,
    now,
    batch_size: int,
    on_batch: Callable[[Batch], None] = lambda _batch: None,
) -> int:
    """Call the table's purge procedure one batch at a time (p_max_batches => 1) until nothing is left."""
    procedure = TABLE_PROCEDURES[table]
    total, number, started = 0, 0, time.monotonic()
    while True:
        (rows,) = conn.execute(
            f"CALL {procedure}(p_batch_size => %s, p_max_batches => 1, p_now => %s)", (batch_size, now)
        ).fetchone()
        if rows == 0:
            return total
        number += 1
        total += rows
        on_batch(Batch(table, number, rows, total, time.monotonic() - started))


def run_retention(
    conn: psycopg.Connection,
    batch_size: int = 5000,
    export_path: Path | None = None,
    on_batch: Callable[[Batch], None] = lambda _batch: None,
) -> RetentionResult:
    """Export (optionally), then purge notifications and events as of one server `now`."""
    started = time.monotonic()
    now = lock_and_fix_now(conn)
    try:
        exported = None
        if export_path is not None:
            exported = export_events(conn, now, export_path)
        deleted = {table: purge(conn, table, now, batch_size, on_batch) for table in TABLE_PROCEDURES}
    finally:
        unlock(conn)
    return RetentionResult(now, deleted, exported, time.monotonic() - started)
