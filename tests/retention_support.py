"""Shared by the retention tests: a migrated database per test and rows with explicit timestamps."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

TENANT = uuid.UUID("00000000-0000-0000-0000-00000000000a")


def add_notification(conn: psycopg.Connection, label: str, age: str, expires_in=None, deleted_ago=None) -> None:
    """A notification titled `label`, created `age` before now; expires_in / deleted_ago are intervals or None."""
    conn.execute(
        """
        INSERT INTO notifydb.notifications
            (tenant_id, user_id, type, title, message, created_at, expires_at, deleted_at)
        VALUES (%(tenant)s, gen_random_uuid(), 'TEST', %(label)s, 'message',
                now() - %(age)s::interval,
                now() + %(expires_in)s::interval,
                now() - %(deleted_ago)s::interval)
        """,
        {"tenant": TENANT, "label": label, "age": age, "expires_in": expires_in, "deleted_ago": deleted_ago},
    )


def add_event(conn: psycopg.Connection, label: str, created_ago: str, seen_ago=None, resolved_ago=None) -> int:
    """An event described as `label`; last seen / resolved that long ago (last seen defaults to created)."""
    return conn.execute(
        """
        INSERT INTO notifydb.admin_system_events
            (event_type, severity, description, created_at, last_seen_at, is_resolved, resolved_at)
        VALUES ('test', 'low', %(label)s, now() - %(created)s::interval,
                now() - coalesce(%(seen)s::interval, %(created)s::interval),
                %(resolved)s::interval IS NOT NULL, now() - %(resolved)s::interval)
        RETURNING id
        """,
        {"label": label, "created": created_ago, "seen": seen_ago, "resolved": resolved_ago},
    ).fetchone()[0]


def titles(conn: psycopg.Connection) -> set[str]:
    return {title for (title,) in conn.execute("SELECT title FROM notifydb.notifications")}


def descriptions(conn: psycopg.Connection) -> set[str]:
    return {d for (d,) in conn.execute("SELECT description FROM notifydb.admin_system_events")}


def call(dsn: str, statement: str, params=None) -> tuple[object, list[str]]:
    """CALL in autocommit (as the procedures need); returns the first column and the NOTICEs."""
    notices: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary))
        cursor = conn.execute(statement, params)
        row = cursor.fetchone() if cursor.description else None
    return (row[0] if row else None), notices


@contextmanager
def purge_held_mid_batch(dsn: str, procedure: str = "notifydb.purge_notifications") -> Iterator[threading.Thread]:
    """A purge stuck inside its first batch: a test-only DELETE trigger waits for advisory lock 4242,
    which this holds until the block ends. Yields the thread running the purge."""
    gate = psycopg.connect(dsn, autocommit=True)
    gate.execute("SELECT pg_advisory_lock(4242)")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            """
            CREATE FUNCTION public.wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN OLD; END $$;
            CREATE TRIGGER wait_for_gate BEFORE DELETE ON notifydb.notifications
            FOR EACH ROW EXECUTE FUNCTION public.wait_for_gate();
            CREATE TRIGGER wait_for_gate BEFORE DELETE ON notifydb.admin_system_events
            FOR EACH ROW EXECUTE FUNCTION public.wait_for_gate();
            """
        )
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = call(dsn, f"CALL {procedure}()")
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.outcome = outcome
    thread.start()
    try:
        wait_for_advisory_waiter(gate)
        yield thread
    finally:
        gate.close()
        thread.join(timeout=30)


def wait_for_advisory_waiter(conn: psycopg.Connection, timeout: float = 10) -> int:
    """The pid of the session waiting for an advisory lock (the held purge)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event = 'advisory' AND datname = current_database()"
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("the purge never reached its first batch")
