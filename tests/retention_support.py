"""Shared by the retention tests: a migrated database per test and rows with explicit timestamps."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.support.cluster import LocalCluster

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
def purge_held_mid_batch(
    dsn: str, procedure: str = "notifydb.purge_notifications", after_statement: bool = False
) -> Iterator[threading.Thread]:
    """A purge stuck inside its first batch: a test-only DELETE trigger waits for advisory lock 4242,
    which this holds until the block ends. Yields the thread running the purge.

    The trigger fires before each row's delete, or with `after_statement` after the batch's DELETE
    statement and its own statement triggers (named to fire last), holding every lock the batch took.
    """
    gate = psycopg.connect(dsn, autocommit=True)
    gate.execute("SELECT pg_advisory_lock(4242)")
    when = "AFTER DELETE" if after_statement else "BEFORE DELETE"
    level = "STATEMENT" if after_statement else "ROW"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            """
            CREATE FUNCTION public.wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN OLD; END $$
            """
        )
        for table in ("notifydb.notifications", "notifydb.admin_system_events"):
            conn.execute(
                f"CREATE TRIGGER zz_wait_for_gate {when} ON {table}"
                f" FOR EACH {level} EXECUTE FUNCTION public.wait_for_gate()"
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
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event = 'advisory' AND datname = current_database()"
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("the purge never reached its first batch")


class LocalStandby(LocalCluster):
    """A hot standby of a running LocalCluster: pg_basebackup -R from it, started on a port of its own."""

    def __init__(self, primary: LocalCluster) -> None:
        super().__init__()
        self.primary = primary

    def start(self) -> LocalStandby:
        if self.user:
            shutil.chown(self.base, self.user, self.user)
        self._run(
            "pg_basebackup",
            *("-D", str(self.datadir), "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast", "--no-sync"),
        )
        # The copied postgresql.conf names the primary's port and socket folder; later lines win.
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.port}\nunix_socket_directories = '{self.base}'\nhot_standby = on\n")
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.base / "server.log"), "-w", "-t", "60", "start")
        return self

    def wait_for_replay(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.dsn(), autocommit=True) as primary:
            (target,) = primary.execute("SELECT pg_catalog.pg_current_wal_lsn()").fetchone()
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.dsn(), autocommit=True) as standby:
            while time.monotonic() < deadline:
                caught_up = standby.execute(
                    "SELECT pg_catalog.pg_last_wal_replay_lsn() >= %s::pg_lsn", (str(target),)
                ).fetchone()[0]
                if caught_up:
                    return
                time.sleep(0.1)
        raise AssertionError(f"the standby did not replay up to {target} within {timeout} s")
