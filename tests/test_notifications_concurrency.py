"""Dedupe and counters under many real connections at once."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID, uuid4

import psycopg

from tests.support.notifications import counter_drift

CALLERS = 50


def run_together(dsn: str, count: int, work: Callable[[psycopg.Connection, int], Any]) -> list[Any]:
    """Run work(conn, i) on ``count`` connections, released at the same moment."""
    connections = [psycopg.connect(dsn, autocommit=True) for _ in range(count)]
    barrier = threading.Barrier(count)

    def call(i: int) -> Any:
        barrier.wait()
        return work(connections[i], i)

    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(call, range(count)))
    finally:
        for conn in connections:
            conn.close()


def test_dedupe_under_50_concurrent_callers_returns_the_first_id(migrated_dsn: str) -> None:
    tenant_id = uuid4()
    for user_id in (uuid4(), None):
        key = f"quota-{uuid4()}"

        def create(conn: psycopg.Connection, i: int, user_id: UUID | None = user_id, key: str = key) -> UUID:
            return conn.execute(
                "SELECT notifydb.create_notification(%s, %s, 'QUOTA', %s, 'message', p_dedupe_key => %s)",
                (tenant_id, user_id, f"caller {i}", key),
            ).fetchone()[0]

        ids = run_together(migrated_dsn, CALLERS, create)
        with psycopg.connect(migrated_dsn) as conn:
            rows = conn.execute(
                "SELECT id FROM notifydb.notifications WHERE tenant_id = %s AND dedupe_key = %s", (tenant_id, key)
            ).fetchall()
        assert len(rows) == 1
        assert set(ids) == {rows[0][0]}
    assert counter_drift(migrated_dsn, tenant_id) == []


def test_dedupe_inside_open_transactions_waits_for_the_first(migrated_dsn: str) -> None:
    """Callers that each hold their transaction open a moment still get one row and one id."""
    tenant_id, user_id, key = uuid4(), uuid4(), "held-open"

    def create_slowly(conn: psycopg.Connection, i: int) -> UUID:
        with conn.transaction():
            nid = conn.execute(
                "SELECT notifydb.create_notification(%s, %s, 'T', 'title', 'message', p_dedupe_key => %s)",
                (tenant_id, user_id, key),
            ).fetchone()[0]
            conn.execute("SELECT pg_sleep(%s)", (random.random() / 20,))
            return nid

    ids = run_together(migrated_dsn, 20, create_slowly)
    assert len(set(ids)) == 1
    with psycopg.connect(migrated_dsn) as conn:
        assert (
            conn.execute("SELECT count(*) FROM notifydb.notifications WHERE tenant_id = %s", (tenant_id,)).fetchone()[0]
            == 1
        )


def test_concurrent_fan_outs_and_mark_all_read_keep_counters_exact(migrated_dsn: str) -> None:
    tenant_id = uuid4()
    users = [uuid4() for _ in range(200)]

    def churn(conn: psycopg.Connection, i: int) -> None:
        rng = random.Random(i)
        for round_ in range(6):
            targets = rng.sample(users, 120)  # overlapping sets, each in its own order
            conn.execute(
                "SELECT notifydb.fan_out_notification(%s, %s, 'FAN', 'title', 'message', p_dedupe_key => %s)",
                (tenant_id, targets, f"k{round_ % 3}"),
            )
            conn.execute(
                "SELECT notifydb.fan_out_notification(%s, %s, 'FAN', 'title', 'message')", (tenant_id, targets)
            )
            user = rng.choice(users)
            conn.execute("SELECT notifydb.mark_all_read(%s, %s)", (tenant_id, user))
            conn.execute("SELECT notifydb.mark_seen(%s, %s)", (tenant_id, rng.choice(users)))
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM notifydb.list_notifications(%s, %s, p_limit => 5)", (tenant_id, rng.choice(users))
                )
            ]
            conn.execute("SELECT notifydb.mark_unread(%s, %s, %s)", (tenant_id, user, ids))
            conn.execute("SELECT notifydb.delete_notifications(%s, %s, %s)", (tenant_id, user, ids[:1]))
            reader = rng.choice(users)
            conn.execute("SELECT notifydb.create_notification(%s, %s, 'ONE', 'title', 'message')", (tenant_id, reader))
            unread = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM notifydb.list_notifications(%s, %s, TRUE, 3)", (tenant_id, reader)
                )
            ]
            conn.execute("SELECT notifydb.mark_read(%s, %s, %s)", (tenant_id, reader, unread[:2]))

    run_together(migrated_dsn, 8, churn)
    assert counter_drift(migrated_dsn, tenant_id) == []
    with psycopg.connect(migrated_dsn) as conn:
        for user in users[:20]:
            listed = conn.execute(
                "SELECT count(*) FROM notifydb.list_notifications(%s, %s, TRUE, 100)", (tenant_id, user)
            ).fetchone()[0]
            assert conn.execute("SELECT notifydb.unread_count(%s, %s)", (tenant_id, user)).fetchone()[0] == listed
    with psycopg.connect(migrated_dsn) as conn:
        per_key = conn.execute(
            "SELECT max(c) FROM (SELECT count(*) AS c FROM notifydb.notifications"
            " WHERE tenant_id = %s AND dedupe_key IS NOT NULL GROUP BY user_id, dedupe_key) AS s",
            (tenant_id,),
        ).fetchone()[0]
    assert per_key == 1


def test_concurrent_retention_deletes_keep_counters_exact(migrated_dsn: str) -> None:
    """Retention's plain DELETE batches of expired rows beside mark-all-read in the same inboxes."""
    tenant_id = uuid4()
    users = [uuid4() for _ in range(50)]
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        for batch in range(20):
            conn.execute(
                "SELECT notifydb.fan_out_notification(%s, %s, 'T', %s, 'message',"
                " p_expires_at => now() + interval '1 hour')",
                (tenant_id, users, f"batch {batch}"),
            )
        # Half of them expire (a DBA moves the clock on them), unread.
        conn.execute(
            "UPDATE notifydb.notifications SET expires_at = now() - interval '1 second'"
            " WHERE tenant_id = %s AND title IN (SELECT 'batch ' || i FROM generate_series(0, 19, 2) AS i)",
            (tenant_id,),
        )

    def work(conn: psycopg.Connection, i: int) -> None:
        if i % 2 == 0:
            for _ in range(10):
                conn.execute(
                    "DELETE FROM notifydb.notifications WHERE id IN (SELECT id FROM notifydb.notifications"
                    " WHERE tenant_id = %s AND expires_at <= now() ORDER BY id LIMIT 20)",
                    (tenant_id,),
                )
        else:
            for user in users[i::6]:
                conn.execute("SELECT notifydb.mark_all_read(%s, %s)", (tenant_id, user))

    run_together(migrated_dsn, 6, work)
    assert counter_drift(migrated_dsn, tenant_id) == []
    with psycopg.connect(migrated_dsn) as conn:
        for user in users[:5]:
            listed = conn.execute(
                "SELECT count(*) FROM notifydb.list_notifications(%s, %s, TRUE, 100)", (tenant_id, user)
            ).fetchone()[0]
            counted = conn.execute("SELECT notifydb.unread_count(%s, %s)", (tenant_id, user)).fetchone()[0]
            assert counted == listed


def test_a_create_that_commits_after_mark_all_read_stays_unread(migrated_dsn: str) -> None:
    """mark_all_read reads through a horizon; a row that lands below it afterwards is still unread."""
    tenant_id, user_id = uuid4(), uuid4()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        conn.execute("SELECT notifydb.create_notification(%s, %s, 'T', 'first', 'message')", (tenant_id, user_id))

    def work(conn: psycopg.Connection, i: int) -> int:
        if i == 0:
            # Older than the first row, and counted only when the statement
            # ends: after the other connection's mark_all_read committed.
            conn.execute(
                "INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, created_at)"
                " SELECT %s, %s, 'T', 'late ' || g, 'message', now() - interval '1 minute'"
                " FROM generate_series(1, 2) AS g, LATERAL (SELECT pg_sleep(CASE WHEN g = 2 THEN 1.5 END)) AS s",
                (tenant_id, user_id),
            )
            return -1
        time.sleep(0.5)
        return conn.execute("SELECT notifydb.mark_all_read(%s, %s)", (tenant_id, user_id)).fetchone()[0]

    _, marked = run_together(migrated_dsn, 2, work)
    assert marked == 1
    with psycopg.connect(migrated_dsn) as conn:
        listed = conn.execute(
            "SELECT title, is_read FROM notifydb.list_notifications(%s, %s)", (tenant_id, user_id)
        ).fetchall()
        assert sorted(listed) == [
            ("first", True),
            ("late 1", False),
            ("late 2", False),
        ]
        assert conn.execute("SELECT notifydb.unread_count(%s, %s)", (tenant_id, user_id)).fetchone()[0] == 2
    assert counter_drift(migrated_dsn, tenant_id) == []
