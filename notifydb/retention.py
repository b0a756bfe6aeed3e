"""Running retention from a client session: the purge batches one by one, a
dry-run count, and the export of events before they are purged.

Everything runs in autocommit mode (each batch commits on its own) and as of
one `now` fetched from the server once. The events cutoff is fixed once per
run as well and given to the export and to every purge batch, so a DBA
changing the policy mid-run cannot make the purge delete events the export
did not write.

The runner calls the batch functions the procedures call, not the
procedures: it holds the retention lock for the whole run itself, and a
procedure that finds its own session holding the lock takes it for one left
over from a failed run and releases it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

TABLES = ("notifications", "events")
EXPORT_PAGE_SIZE = 1000


class RetentionSkipped(Exception):
    """Another retention run holds the lock, or the server is a hot standby."""


@dataclass(frozen=True)
class RunCutoffs:
    """What one run works to: the server's `now` and the events cutoff the policy gave at the start."""

    now: datetime
    event_activity_before: datetime


@dataclass(frozen=True)
class Batch:
    table: str
    number: int
    rows: int
    total: int
    elapsed: float


@dataclass
class RetentionResult:
    now: datetime  # the server's timestamptz the cutoffs were computed from
    deleted: dict[str, int]
    exported_events: int | None
    elapsed: float


def require_autocommit(conn: psycopg.Connection) -> None:
    if not conn.autocommit:
        raise ValueError("retention needs an autocommit connection: every batch commits on its own")


def start_run(conn: psycopg.Connection) -> RunCutoffs:
    """Take the retention lock for this session and fix `now` and the events cutoff once.

    A lock this session already holds is left over from a failed run (e.g. a
    COMMIT that failed inside a procedure, on a pooled session): released first.
    """
    require_autocommit(conn)
    (in_recovery,) = conn.execute("SELECT pg_catalog.pg_is_in_recovery()").fetchone()
    if in_recovery:
        raise RetentionSkipped("this server is a hot standby; retention runs on the primary")
    release_lock(conn)
    (locked,) = conn.execute("SELECT pg_catalog.pg_try_advisory_lock(notifydb._retention_lock_key())").fetchone()
    if not locked:
        raise RetentionSkipped("another retention run is in progress")
    try:
        now, event_activity_before = conn.execute(
            "SELECT pg_catalog.now(), c.event_activity_before FROM notifydb._retention_cutoffs(pg_catalog.now()) AS c"
        ).fetchone()
    except BaseException:
        release_lock(conn)
        raise
    return RunCutoffs(now, event_activity_before)


def release_lock(conn: psycopg.Connection) -> None:
    """Release every hold this session has on the retention lock (it is re-entrant)."""
    while conn.execute("SELECT notifydb._retention_lock_held()").fetchone()[0]:
        conn.execute("SELECT pg_catalog.pg_advisory_unlock(notifydb._retention_lock_key())")


def due_counts(conn: psycopg.Connection, now) -> dict[str, int]:
    """What a purge as of `now` would delete (the same predicates the purge uses)."""
    notifications, events = conn.execute("SELECT * FROM notifydb._retention_due_counts(%s)", (now,)).fetchone()
    return {"notifications": notifications, "events": events}


def export_events(conn: psycopg.Connection, run: RunCutoffs, path: Path) -> int:
    """Write every event a purge with the run's cutoffs would delete to `path` as JSON lines, durably.

    Returns how many. The purge that follows with the same cutoffs deletes a
    subset of these: an event's last activity (latest of created, last seen,
    resolved) only moves forward, so an event not due at export time cannot
    become due later for the same cutoff.
    """
    written = 0
    after_created_at, after_id = None, None
    with open(path, "w", encoding="utf-8") as out:
        while True:
            rows = conn.execute(
                "SELECT created_at, id, event::text FROM notifydb._export_events_page(%s, %s, %s, %s, %s)",
                (run.now, after_created_at, after_id, EXPORT_PAGE_SIZE, run.event_activity_before),
            ).fetchall()
            for _created_at, _id, event in rows:
                out.write(event + "\n")
            written += len(rows)
            if len(rows) < EXPORT_PAGE_SIZE:
                break
            after_created_at, after_id, _ = rows[-1]
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
    run: RunCutoffs,
    batch_size: int,
    on_batch: Callable[[Batch], None] = lambda _batch: None,
) -> int:
    """Delete the table's due rows one committed batch at a time, as the procedures do."""
    batches = _notification_batches if table == "notifications" else _event_batches
    total, started = 0, time.monotonic()
    for number, rows in enumerate(batches(conn, run, batch_size), start=1):
        total += rows
        on_batch(Batch(table, number, rows, total, time.monotonic() - started))
    return total


def _notification_batches(conn: psycopg.Connection, run: RunCutoffs, batch_size: int):
    """Rows deleted per batch; a batch may delete fewer than it found (rows due twice), so only 0 ends it."""
    while True:
        (rows,) = conn.execute(
            "SELECT notifydb._purge_notifications_batch(%s, %s)", (run.now, batch_size), prepare=True
        ).fetchone()
        if rows == 0:
            return
        yield rows


def _event_batches(conn: psycopg.Connection, run: RunCutoffs, batch_size: int):
    """Rows deleted per batch, carrying the keyset cursor; a batch that is not full reached the end."""
    after_created_at, after_id = None, None  # the keyset cursor's start
    while True:
        rows, after_created_at, after_id = conn.execute(
            "SELECT b.deleted, b.last_created_at, b.last_id FROM notifydb._purge_events_batch(%s, %s, %s, %s, %s) AS b",
            (run.now, batch_size, after_created_at, after_id, run.event_activity_before),
            prepare=True,
        ).fetchone()
        if rows > 0:
            yield rows
        if rows < batch_size:
            return


def run_retention(
    conn: psycopg.Connection,
    batch_size: int = 5000,
    export_path: Path | None = None,
    on_batch: Callable[[Batch], None] = lambda _batch: None,
) -> RetentionResult:
    """Export (optionally), then purge notifications and events with one run's cutoffs."""
    started = time.monotonic()
    run = start_run(conn)
    try:
        exported = None
        if export_path is not None:
            exported = export_events(conn, run, export_path)
        deleted = {table: purge(conn, table, run, batch_size, on_batch) for table in TABLES}
    finally:
        release_lock(conn)
    return RetentionResult(run.now, deleted, exported, time.monotonic() - started)
