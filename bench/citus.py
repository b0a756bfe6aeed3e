"""`python -m bench --citus`: notifydb on a Citus cluster against single-node notifydb, in one run.

Starts a throwaway Citus cluster on loopback (a coordinator and two workers,
tests/support/citus_cluster.py) and a throwaway single-node server from the same
PostgreSQL 17 binaries (PG_BINDIR from .ci/build-citus), migrates both, seeds the
same tenants, and for each per-tenant operation reports:

- that a call touched one shard: its plan on the coordinator is one task on the
  worker holding the tenant, and only that worker's execution counter of the
  function moved (pg_stat_user_functions);
- the p50 of a call on each side, and their ratio.

Loopback makes this a cost measure, not a speed-up: on Citus every call is the
single-node call plus a hop from coordinator to worker, planned on both. Citus
pays off when the data no longer fits one node, which no loopback run shows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from bench.stats import summarize
from notifydb.migrations import Migrator
from tests.support.citus_cluster import CitusCluster
from tests.support.cluster import FAST_SETTINGS, LocalCluster

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_ROOT / "bench" / "results"

# The per-tenant operations, as the Python client sends them (parameters bound by the server).
OPERATIONS: dict[str, str] = {
    "create_notification": "SELECT notifydb.create_notification(%(t)s::uuid, %(u)s::uuid, 'T', 'title', 'message')",
    "fan_out_notification": (
        "SELECT notifydb.fan_out_notification(%(t)s::uuid, %(users)s::uuid[], 'T', 'title', 'message')"
    ),
    "list_notifications": "SELECT * FROM notifydb.list_notifications(%(t)s::uuid, %(u)s::uuid)",
    "unread_count": "SELECT notifydb.unread_count(%(t)s::uuid, %(u)s::uuid)",
    "unseen_count": "SELECT notifydb.unseen_count(%(t)s::uuid, %(u)s::uuid)",
    "mark_read": "SELECT notifydb.mark_read(%(t)s::uuid, %(u)s::uuid, %(ids)s::uuid[])",
    "mark_unread": "SELECT notifydb.mark_unread(%(t)s::uuid, %(u)s::uuid, %(ids)s::uuid[])",
    "mark_seen": "SELECT notifydb.mark_seen(%(t)s::uuid, %(u)s::uuid)",
    "mark_all_read": "SELECT notifydb.mark_all_read(%(t)s::uuid, %(u)s::uuid)",
    "delete_notifications": "SELECT notifydb.delete_notifications(%(t)s::uuid, %(u)s::uuid, %(ids)s::uuid[])",
}

# System events stay on the coordinator (docs/citus.md): measured too, to show what keeping them there costs.
EVENT_OPERATIONS: dict[str, str] = {
    "record_event": (
        "SELECT notifydb.record_event('quota_reached', 'high', 'quota', p_tenant_id => %(t)s::uuid,"
        " p_fingerprint => 'quota')"
    ),
    "list_events (one tenant)": "SELECT * FROM notifydb.list_events(%(t)s::uuid)",
    "list_events (all tenants)": "SELECT * FROM notifydb.list_events()",
    "event_summary (all tenants)": "SELECT * FROM notifydb.event_summary()",
}


def _seed(dsn: str, tenants: list[uuid.UUID], users: int, per_user: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for tenant in tenants:
            recipients = [_user(tenant, i) for i in range(users)]
            for _ in range(per_user):
                conn.execute(
                    "SELECT notifydb.fan_out_notification(%s, %s, 'SEED', 'seed', 'seed')", (tenant, recipients)
                )
                conn.execute("SELECT notifydb.record_event('job_failure', 'low', 'seed', p_tenant_id => %s)", (tenant,))


def _user(tenant: uuid.UUID, i: int) -> uuid.UUID:
    return uuid.uuid5(tenant, f"user-{i}")


def _params(conn: psycopg.Connection, tenant: uuid.UUID, user: uuid.UUID) -> dict:
    (nid,) = conn.execute("SELECT notifydb.create_notification(%s, %s, 'T', 't', 'm')", (tenant, user)).fetchone()
    return {"t": tenant, "u": user, "ids": [nid], "users": [_user(tenant, i) for i in range(10)]}


def _measure(dsn: str, tenants: list[uuid.UUID], iterations: int) -> dict[str, list[int]]:
    """Latencies (ns) of every operation, interleaved round-robin over tenants and operations."""
    operations = {**OPERATIONS, **EVENT_OPERATIONS}
    samples: dict[str, list[int]] = {name: [] for name in operations}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for i in range(iterations):
            tenant = tenants[i % len(tenants)]
            params = _params(conn, tenant, _user(tenant, i % 10))
            for name, statement in operations.items():
                started = time.perf_counter_ns()
                conn.execute(statement, params, prepare=True).fetchall()
                samples[name].append(time.perf_counter_ns() - started)
    return samples


def _function_calls(dsn: str, function: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(
            conn.execute(
                "SELECT coalesce(sum(calls), 0) FROM pg_catalog.pg_stat_user_functions"
                " WHERE schemaname = 'notifydb' AND funcname = %s",
                (function,),
            ).fetchone()[0]
        )


def _settled(read: Callable[[], list[int]]) -> list[int]:
    values = read()
    for _ in range(20):
        time.sleep(0.5)
        again = read()
        if again == values:
            return values
        values = again
    return values


def _one_shard(cluster: CitusCluster, dsn: str, tenant: uuid.UUID) -> dict[str, dict]:
    """Per operation: the plan's task count and node, and which nodes executed the function."""
    dsns = [dsn, *cluster.worker_dsns(dsn)]
    report = {}
    with psycopg.connect(dsn, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        # Citus then closes its worker connections after each call, whose backends publish
        # their function counts as they exit.
        conn.execute("SET citus.max_cached_conns_per_worker = 0")
        params = _params(conn, tenant, _user(tenant, 0))
        for name, statement in OPERATIONS.items():
            plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + statement, params).fetchall())
            tasks = re.search(r"Task Count: (\d+)", plan)
            node = re.search(r"port=(\d+)", plan)
            before = _settled(lambda name=name: [_function_calls(d, name) for d in dsns])
            conn.execute(statement, params).fetchall()
            after = _settled(lambda name=name: [_function_calls(d, name) for d in dsns])
            ran = [a - b for a, b in zip(after, before, strict=True)]
            report[name] = {
                "task_count": int(tasks[1]) if tasks else None,
                "plan_node_port": int(node[1]) if node else None,
                "executions_coordinator_then_workers": ran,
                "one_shard": bool(tasks and tasks[1] == "1" and ran[0] == 0 and sorted(ran[1:]) == [0, 1]),
            }
    return report


def run(iterations: int, tenants_count: int, users: int, per_user: int, out: Path) -> dict:
    tenants = [uuid.uuid5(uuid.NAMESPACE_URL, f"notifydb-bench-tenant-{i}") for i in range(tenants_count)]
    cluster = CitusCluster().start()
    single = LocalCluster({**FAST_SETTINGS}).start()
    try:
        citus_dsn = cluster.create_database("notifydb_bench_citus")
        single_dsn = single.dsn()
        for dsn in (citus_dsn, single_dsn):
            Migrator(dsn, PROJECT_ROOT, log=lambda _line: None).migrate()
            _seed(dsn, tenants, users, per_user)
        one_shard = _one_shard(cluster, citus_dsn, tenants[0])
        # Alternating blocks, so that both sides see the same machine load.
        samples: dict[str, dict[str, list[int]]] = {"single": {}, "citus": {}}
        for _ in range(2):
            for side, dsn in (("single", single_dsn), ("citus", citus_dsn)):
                for name, values in _measure(dsn, tenants, iterations // 2).items():
                    samples[side].setdefault(name, []).extend(values)
    finally:
        single.stop()
        cluster.stop()
    result = {
        "setup": {
            "nodes": "coordinator + 2 workers on loopback, PostgreSQL 17 + Citus 13.2.2, 8 shards",
            "single_node": "one PostgreSQL 17 from the same binaries, same settings but Citus",
            "tenants": tenants_count,
            "users_per_tenant": users,
            "notifications_per_user": per_user,
            "calls_per_operation_and_side": iterations,
        },
        "operations": {
            name: {
                "one_shard": one_shard[name],
                "single_p50_ms": summarize(samples["single"][name])["p50_ms"],
                "citus_p50_ms": summarize(samples["citus"][name])["p50_ms"],
            }
            for name in OPERATIONS
        },
    }
    result["events_on_the_coordinator"] = {
        name: {
            "single_p50_ms": summarize(samples["single"][name])["p50_ms"],
            "citus_p50_ms": summarize(samples["citus"][name])["p50_ms"],
        }
        for name in EVENT_OPERATIONS
    }
    for entry in (*result["operations"].values(), *result["events_on_the_coordinator"].values()):
        entry["citus_over_single"] = entry["citus_p50_ms"] / entry["single_p50_ms"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "citus.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "citus.md").write_text(_markdown(result))
    return result


def _markdown(result: dict) -> str:
    setup = result["setup"]
    lines = [
        "# notifydb on Citus against one node (loopback)",
        "",
        f"{setup['nodes']}; against {setup['single_node']}. {setup['tenants']} tenants of"
        f" {setup['users_per_tenant']} users with {setup['notifications_per_user']} notifications each;"
        f" {setup['calls_per_operation_and_side']} calls per operation and side, interleaved. Generated by"
        " `python -m bench --citus` (bench/citus.py).",
        "",
        "Loopback makes this a cost measure: each Citus call is the one-node call plus a hop to the worker"
        " that holds the tenant and a planning there. It shows what a call costs, not what Citus buys (room"
        " for data that no longer fits one node).",
        "",
        "| operation | one shard (tasks; executions: coordinator, workers) | one node p50 ms | Citus p50 ms"
        " | Citus / one node |",
        "|---|---|---:|---:|---:|",
    ]
    for name, entry in result["operations"].items():
        shard = entry["one_shard"]
        executions = shard["executions_coordinator_then_workers"]
        proof = f"{'yes' if shard['one_shard'] else 'NO'} ({shard['task_count']}; {executions})"
        lines.append(
            f"| {name} | {proof} | {entry['single_p50_ms']:.3f} | {entry['citus_p50_ms']:.3f} |"
            f" {entry['citus_over_single']:.1f}x |"
        )
    lines += [
        "",
        "System events, kept on the coordinator (not distributed; docs/citus.md says why):",
        "",
        "| operation | one node p50 ms | Citus p50 ms | Citus / one node |",
        "|---|---:|---:|---:|",
    ]
    for name, entry in result["events_on_the_coordinator"].items():
        lines.append(
            f"| {name} | {entry['single_p50_ms']:.3f} | {entry['citus_p50_ms']:.3f} |"
            f" {entry['citus_over_single']:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench --citus", description=__doc__.splitlines()[0])
    parser.add_argument("--citus", action="store_true", help="this scenario (python -m bench --citus)")
    parser.add_argument("--iterations", type=int, default=400, help="calls per operation and side")
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.iterations, args.tenants, args.users, args.per_user, args.out)
    print(_markdown(result))
    return 0 if all(e["one_shard"]["one_shard"] for e in result["operations"].values()) else 3


if __name__ == "__main__":
    sys.exit(main())
