"""Helpers for the delivery tests: a migrated database, LOGIN roles, notifications with jobs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from notifydb.migrations import Migrator
from tests.support.cli import PROJECT_ROOT
from tests.support.postgres_server import PgServer


def migrated_database(pg_server: PgServer, prefix: str) -> str:
    dsn = pg_server.create_database(prefix)
    Migrator(dsn, PROJECT_ROOT, log=lambda _line: None).migrate()
    return dsn


@contextmanager
def login_role(dsn: str, member_of: str) -> Iterator[str]:
    """A LOGIN role granted ``member_of``; yields a DSN that connects as it."""
    name = f"notifydb_test_{member_of.removeprefix('notifydb_')}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(member_of), sql.Identifier(name)))
    try:
        yield make_conninfo(dsn, user=name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def insert_notifications(dsn: str, count: int, channel: str = "email") -> list[uuid.UUID]:
    """Insert ``count`` notifications directly, as the owner would (the trigger writes the jobs)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel)
               SELECT gen_random_uuid(), gen_random_uuid(), 'TEST', 'title ' || i, 'message', %s
               FROM generate_series(1, %s) AS i
               RETURNING id""",
            (channel, count),
        ).fetchall()
    return [row[0] for row in rows]


def outbox(dsn: str) -> list[tuple]:
    """(job_id, notification_id, attempts, leased, last_error) for every job, by job_id."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            """SELECT job_id, notification_id, attempts, leased_until IS NOT NULL, last_error
               FROM notifydb.delivery_outbox ORDER BY job_id"""
        ).fetchall()


def delivery_statuses(dsn: str) -> dict[str | None, int]:
    """How many email/push notifications have each delivery_status."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """SELECT delivery_status, count(*) FROM notifydb.notifications
               WHERE channel <> 'in_app' GROUP BY delivery_status"""
        ).fetchall()
    return dict(rows)


def clear(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("TRUNCATE notifydb.notifications CASCADE")
        conn.execute("UPDATE notifydb.delivery_policy SET max_attempts = DEFAULT")
