"""Helpers for the delivery tests: a migrated database, LOGIN roles, notifications with jobs."""

from __future__ import annotations

import threading
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


def drain_with_relays(relay_dsn: str, relays: int = 4, batch_size: int = 100) -> list[list]:
    """`relays` relays started together, each on its own connection, drain the outbox once and
    accept every job; returns the jobs each one was handed."""
    from notifydb import Client, Relay

    delivered: list[list] = [[] for _ in range(relays)]
    failures: list[BaseException] = []
    start = threading.Barrier(relays)

    def drain(index: int) -> None:
        try:
            with psycopg.connect(relay_dsn, autocommit=True) as conn:

                def accept(jobs: list) -> list[int]:
                    delivered[index].extend(jobs)
                    return [job.job_id for job in jobs]

                start.wait()
                Relay(Client(conn), accept, batch_size=batch_size).run(once=True)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(relays)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    return delivered
