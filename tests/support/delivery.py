"""Helpers for the delivery tests: a migrated database, LOGIN roles, notifications with jobs."""

from __future__ import annotations

import uuid

import psycopg


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
        # DELETE, not TRUNCATE: the Citus suite runs these tests too (docs/citus.md).
        conn.execute("DELETE FROM notifydb.notifications")
        conn.execute("UPDATE notifydb.delivery_policy SET max_attempts = DEFAULT")
