"""Each per-tenant function runs on one shard: Citus sends the call to the
worker that holds the tenant (EXPLAIN: one task, on that worker), and the
function executes there once and nowhere else (each node's own function
execution counters, pg_stat_user_functions with track_functions = all)."""

from __future__ import annotations

import re
import time
import uuid

import psycopg
import pytest

from notifydb import Client
from tests.support.citus_cluster import CitusCluster

TENANT = uuid.UUID("5e1f0000-0000-4000-8000-000000000016")
USER = uuid.UUID("5e1f0000-0000-4000-8000-0000000000a1")

# Each per-tenant function, called as an application would (one statement).
CALLS = {
    "create_notification": "SELECT notifydb.create_notification(%(t)s, %(u)s, 'T', 'title', 'message')",
    "fan_out_notification": "SELECT notifydb.fan_out_notification(%(t)s, ARRAY[%(u)s, NULL]::uuid[], 'T', 'a', 'b')",
    "list_notifications": "SELECT * FROM notifydb.list_notifications(%(t)s, %(u)s)",
    "unread_count": "SELECT notifydb.unread_count(%(t)s, %(u)s)",
    "unseen_count": "SELECT notifydb.unseen_count(%(t)s, %(u)s)",
    "mark_read": "SELECT notifydb.mark_read(%(t)s, %(u)s, ARRAY[%(id)s]::uuid[])",
    "mark_unread": "SELECT notifydb.mark_unread(%(t)s, %(u)s, ARRAY[%(id)s]::uuid[])",
    "mark_seen": "SELECT notifydb.mark_seen(%(t)s, %(u)s)",
    "mark_all_read": "SELECT notifydb.mark_all_read(%(t)s, %(u)s)",
    "delete_notifications": "SELECT notifydb.delete_notifications(%(t)s, %(u)s, ARRAY[%(id)s]::uuid[])",
}


def _calls(dsn: str, function: str) -> int:
    """How often this node executed notifydb.<function> (0 before the first call)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_catalog.pg_stat_user_functions"
            " WHERE schemaname = 'notifydb' AND funcname = %s",
            (function,),
        ).fetchone()
    return int(row[0])


def _counts(dsns: list[str], function: str) -> list[int]:
    """Every node's count, once no count has moved for half a second (a backend that exits
    publishes its counts as it goes; see _uncached)."""
    counts = [_calls(dsn, function) for dsn in dsns]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = [_calls(dsn, function) for dsn in dsns]
        if again == counts:
            break
        counts = again
    return counts


def _uncached(conn: psycopg.Connection) -> None:
    """Citus closes its connections to the workers after each transaction, so the worker
    backend that ran a call exits and publishes its function counts at once (a cached one
    may hold them for seconds)."""
    conn.execute("SET citus.max_cached_conns_per_worker = 0")


@pytest.fixture(scope="module")
def cluster_dsns(citus_cluster: CitusCluster, migrated_dsn: str) -> list[str]:
    """The coordinator's DSN of the migrated database, then its workers'."""
    return [migrated_dsn, *citus_cluster.worker_dsns(migrated_dsn)]


def _tenant_worker(cluster_dsns: list[str], tenant: uuid.UUID) -> int:
    """The port of the worker that holds `tenant`'s shard of notifications."""
    with psycopg.connect(cluster_dsns[0]) as conn:
        row = conn.execute(
            "SELECT p.nodeport FROM pg_catalog.pg_dist_shard_placement AS p"
            " WHERE p.shardid = pg_catalog.get_shard_id_for_distribution_column('notifydb.notifications', %s::uuid)",
            (str(tenant),),
        ).fetchone()
    return row[0]


@pytest.mark.parametrize("function", list(CALLS))
def test_a_per_tenant_call_runs_on_one_shard_of_one_worker(function: str, cluster_dsns: list[str]) -> None:
    coordinator = cluster_dsns[0]
    # Values bound client-side: the statements are what psql would send.
    with psycopg.connect(coordinator, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        _uncached(conn)
        (nid,) = conn.execute(
            "SELECT notifydb.create_notification(%s, %s, 'T', 'setup', 'm')", (TENANT, USER)
        ).fetchone()
        conn.execute("SELECT notifydb.mark_read(%s, %s, ARRAY[%s]::uuid[])", (TENANT, USER, nid))
        params = {"t": TENANT, "u": USER, "id": nid}
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + CALLS[function], params).fetchall())
        assert re.search(r"Task Count: 1\b", plan), plan
        assert f"port={_tenant_worker(cluster_dsns, TENANT)}" in plan, plan

        before = _counts(cluster_dsns, function)
        conn.execute(CALLS[function], params)
        after = _counts(cluster_dsns, function)

    ran = [a - b for a, b in zip(after, before, strict=True)]
    holder = [dsn for dsn in cluster_dsns[1:] if f":{_tenant_worker(cluster_dsns, TENANT)}/" in dsn]
    expected = [1 if dsn in holder else 0 for dsn in cluster_dsns]
    assert ran == expected, f"executions per node (coordinator, workers): {ran}"


def test_the_client_calls_run_on_one_worker_too(cluster_dsns: list[str]) -> None:
    """The Python client's statements (prepared, with parameters) are delegated as well."""
    before = _counts(cluster_dsns, "unread_count")
    with psycopg.connect(cluster_dsns[0], autocommit=True) as conn:
        _uncached(conn)
        client = Client(conn)
        for _ in range(3):
            client.unread_count(TENANT, USER)
    after = _counts(cluster_dsns, "unread_count")
    ran = [a - b for a, b in zip(after, before, strict=True)]
    assert ran[0] == 0 and sorted(ran[1:]) == [0, 3], f"executions per node (coordinator, workers): {ran}"


def test_the_client_refuses_a_missing_tenant_before_calling(cluster_dsns: list[str]) -> None:
    """Citus 13.2 crashes the coordinator on a delegated call with a NULL tenant: the client never sends one."""
    with psycopg.connect(cluster_dsns[0], autocommit=True) as conn:
        client = Client(conn)
        with pytest.raises(ValueError, match="tenant_id must not be None"):
            client.unread_count(None, USER)  # type: ignore[arg-type]
        assert client.unread_count(TENANT, USER) >= 0  # the connection still works
