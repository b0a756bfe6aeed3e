"""record_event dedupe and resolve_event under many real connections at once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg


def _all_at_once(dsn: str, count: int, call: Callable[[psycopg.Connection, int], Any]) -> list[Any]:
    """Open `count` connections, then let every one run `call` at the same moment."""
    connections = [psycopg.connect(dsn, autocommit=True) for _ in range(count)]
    barrier = threading.Barrier(count)

    def run(index: int) -> Any:
        barrier.wait()
        return call(connections[index], index)

    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(run, range(count)))
    finally:
        for conn in connections:
            conn.close()


def _record(conn: psycopg.Connection, tenant_id: uuid.UUID, fingerprint: str, severity: str = "high") -> int:
    return conn.execute(
        "SELECT notifydb.record_event('job_failure', %s, 'd', NULL, %s, NULL, %s)",
        (severity, tenant_id, fingerprint),
    ).fetchone()[0]


def test_fifty_concurrent_repeats_make_one_open_event(migrated_dsn: str) -> None:
    tenant_id = uuid.uuid4()
    ids = _all_at_once(migrated_dsn, 50, lambda conn, _i: _record(conn, tenant_id, "disk-full"))

    assert len(set(ids)) == 1
    with psycopg.connect(migrated_dsn) as conn:
        rows = conn.execute(
            "SELECT id, occurrences, is_resolved FROM notifydb.admin_system_events WHERE tenant_id = %s",
            (tenant_id,),
        ).fetchall()
    assert rows == [(ids[0], 50, False)]


def test_concurrent_platform_repeats_dedupe_too(migrated_dsn: str) -> None:
    fingerprint = f"platform-{uuid.uuid4()}"
    ids = _all_at_once(migrated_dsn, 20, lambda conn, _i: _record(conn, None, fingerprint))

    assert len(set(ids)) == 1
    with psycopg.connect(migrated_dsn) as conn:
        occurrences = conn.execute(
            "SELECT occurrences FROM notifydb.admin_system_events WHERE id = %s", (ids[0],)
        ).fetchone()[0]
    assert occurrences == 20


def test_concurrent_resolves_have_exactly_one_winner(migrated_dsn: str) -> None:
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        event_id = _record(conn, uuid.uuid4(), None)
    resolvers = [uuid.uuid4() for _ in range(20)]

    results = _all_at_once(
        migrated_dsn,
        20,
        lambda conn, i: conn.execute("SELECT notifydb.resolve_event(%s, %s)", (event_id, resolvers[i])).fetchone()[0],
    )

    assert results.count(True) == 1
    winner = resolvers[results.index(True)]
    with psycopg.connect(migrated_dsn) as conn:
        resolved_by = conn.execute(
            "SELECT resolved_by FROM notifydb.admin_system_events WHERE id = %s", (event_id,)
        ).fetchone()[0]
    assert resolved_by == winner


def test_records_racing_resolves_lose_no_occurrence(migrated_dsn: str) -> None:
    """Recorders and a resolver race: every call is counted once, never two open events."""
    tenant_id = uuid.uuid4()
    recorders, rounds = 16, 25

    def work(conn: psycopg.Connection, index: int) -> int:
        if index == recorders:  # the resolver: resolves whatever is open, again and again
            resolved = 0
            for _ in range(rounds * 2):
                open_ids = conn.execute(
                    "SELECT id FROM notifydb.list_events(%s, NULL, true, 100)", (tenant_id,)
                ).fetchall()
                resolved += sum(
                    conn.execute("SELECT notifydb.resolve_event(%s, %s)", (event_id, uuid.uuid4())).fetchone()[0]
                    for (event_id,) in open_ids
                )
            return resolved
        for _ in range(rounds):
            _record(conn, tenant_id, "flapping")
        return 0

    resolved = sum(_all_at_once(migrated_dsn, recorders + 1, work))

    with psycopg.connect(migrated_dsn) as conn:
        total, events, still_open = conn.execute(
            "SELECT sum(occurrences), count(*), count(*) FILTER (WHERE NOT is_resolved)"
            " FROM notifydb.admin_system_events WHERE tenant_id = %s",
            (tenant_id,),
        ).fetchone()
    assert total == recorders * rounds
    assert still_open <= 1
    assert events == resolved + still_open
