"""The migration lock: a session-level advisory lock on a connection of its own.

pg_try_advisory_lock in a bounded loop, never the blocking or transaction-level
variants: a waiter blocked inside pg_advisory_lock holds a snapshot, and
CREATE INDEX CONCURRENTLY in the holder's session then waits for it forever.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

# The bytes of "notifydb" as a bigint: one key per database, since advisory
# locks are scoped to the current database.
LOCK_KEY = int.from_bytes(b"notifydb", "big")


class LockNotAcquired(Exception):
    """Another runner kept the lock for longer than we were willing to wait."""


def _holder_pid(conn: psycopg.Connection) -> int | None:
    row = conn.execute(
        "SELECT l.pid FROM pg_catalog.pg_locks AS l"
        " JOIN pg_catalog.pg_database AS d ON d.oid = l.database"
        " WHERE l.locktype = 'advisory' AND l.granted"
        " AND d.datname = pg_catalog.current_database()"
        " AND l.classid = %s AND l.objid = %s AND l.objsubid = 1",
        (LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF),
    ).fetchone()
    return row[0] if row else None


@contextmanager
def migration_lock(conn: psycopg.Connection, wait_seconds: float) -> Iterator[None]:
    """Hold the lock on ``conn`` (autocommit) for the duration of the block."""
    deadline = time.monotonic() + wait_seconds
    while not conn.execute("SELECT pg_catalog.pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
        if time.monotonic() >= deadline:
            pid = _holder_pid(conn)
            holder = f"backend pid {pid}" if pid else "another session"
            raise LockNotAcquired(f"another migration holds the lock ({holder}); gave up after {wait_seconds:g} s")
        time.sleep(random.uniform(0.05, 0.25))
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_catalog.pg_advisory_unlock(%s)", (LOCK_KEY,))
