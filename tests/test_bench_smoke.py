"""A tiny benchmark run (scale 0.01), so the suite in bench/ never rots.

It checks that a run writes its files, that every operation the migrated
database offers gets figures on both schemas, and that the run leaves the data
set as it found it. No timing is asserted: speed is judged in bench/results/.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg.conninfo import conninfo_to_dict

from bench.main import Config, run
from bench.measure import Plan

CLIENTS = 3
CLIENT_ITERATIONS = 4


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of this module's own, on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server not found: the bench smoke test needs a real Redis", pytrace=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                if redis.Redis.from_url(url).ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def bench_run(pg_server, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, str]:
    dsn = pg_server.create_database("notifydb_bench_smoke")
    out_dir = tmp_path_factory.mktemp("bench_results")
    config = Config(
        dsn=dsn,
        db_name=conninfo_to_dict(dsn)["dbname"],
        scale=0.01,
        redis_url=redis_url,
        out_dir=out_dir,
        plan=Plan(
            rounds=2,
            iterations=3,
            heavy_iterations=1,
            client_iterations=CLIENT_ITERATIONS,
            heavy_client_iterations=1,
            clients=CLIENTS,
        ),
        fan_out_users=500,
        fan_out_repeats=1,
        outbox_jobs=500,
        quiet=True,
    )
    return run(config), out_dir, dsn


def test_writes_every_file(bench_run) -> None:
    result, out_dir, _dsn = bench_run
    for name in ("results.json", "results.md", "machine.md", "latency.png", "growth.png"):
        assert (out_dir / name).stat().st_size > 0, name
    assert json.loads((out_dir / "results.json").read_text())["operations"] == result["operations"]
    markdown = (out_dir / "results.md").read_text()
    for heading in ("## One client, unpinned", f"## Concurrent clients ({CLIENTS} processes)", "## Growth"):
        assert heading in markdown
    machine = (out_dir / "machine.md").read_text()
    assert "- CPU: " in machine and "| shared_buffers |" in machine


def test_every_available_side_has_figures_in_every_mode(bench_run) -> None:
    result, _out_dir, _dsn = bench_run
    measured_modes = [mode for mode in result["modes"].values() if "figures" in mode]
    assert len(measured_modes) >= 2  # unpinned and concurrent at least; pinned where the OS allows
    for op in result["operations"]:
        for side, missing in op["availability"].items():
            for mode in measured_modes:
                summary = mode["figures"].get(op["name"], {}).get(side)
                if missing:
                    assert summary is None, (op["name"], side)
                    continue
                assert summary is not None, (op["name"], side, mode["failures"].get(op["name"]))
                assert summary["n"] > 0
                assert 0 < summary["p50_ms"] <= summary["p99_ms"] <= summary["max_ms"]


def test_seed_baseline_and_floors_are_always_measured(bench_run) -> None:
    result, _out_dir, _dsn = bench_run
    unpinned = result["modes"]["single_unpinned"]["figures"]
    concurrent = result["modes"]["clients"]["figures"]
    assert unpinned["floor.select1"]["notifydb"]["n"] == 2 * 3
    assert concurrent["floor.select1"]["notifydb"]["n"] == CLIENTS * CLIENT_ITERATIONS
    assert unpinned["floor.redis_get"]["notifydb"]["n"] > 0
    with_seed = [op["name"] for op in result["operations"] if op["has_seed"]]
    assert len(with_seed) >= 18
    for name in with_seed:
        assert unpinned[name]["seed"]["n"] > 0, name
    assert result["scenarios"]["fan_out"].get("seed_copy") or result["scenarios"]["fan_out"]["not_available"]


def test_unavailable_means_missing_from_the_database(bench_run) -> None:
    result, _out_dir, dsn = bench_run
    with psycopg.connect(dsn) as conn:
        present = {
            row[0]
            for row in conn.execute(
                "SELECT p.proname FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n "
                "ON n.oid = p.pronamespace WHERE n.nspname = 'notifydb'"
            )
        }
    named = [
        need.removeprefix("notifydb.").removesuffix("()")
        for op in result["operations"]
        for missing in op["availability"].values()
        for need in missing
        if need.endswith("()")
    ]
    assert not set(named) & present
    for scenario in result["scenarios"].values():
        for need in scenario.get("not_available", []):
            assert need.removeprefix("notifydb.").removesuffix("()") not in present


def test_data_set_has_the_intended_shape(bench_run) -> None:
    result, _out_dir, dsn = bench_run
    rows = result["dataset"]["rows"]
    assert 45_000 <= rows["live"] <= 55_000
    assert rows["events"] == 10_000
    with psycopg.connect(dsn) as conn:
        read_share, deleted_share, tenant_level, seed_rows, notifydb_rows = conn.execute(
            """SELECT avg(is_read::int) FILTER (WHERE created_at > now() - interval '90 days'),
                      avg((deleted_at IS NOT NULL)::int),
                      count(*) FILTER (WHERE user_id IS NULL),
                      (SELECT count(*) FROM seed.notifications WHERE type <> 'BENCH_FANOUT'
                           AND type <> 'BENCH_CREATE'),
                      count(*) FILTER (WHERE type NOT LIKE 'BENCH%%')
               FROM notifydb.notifications"""
        ).fetchone()
        seed_indexes = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_indexes WHERE schemaname = 'seed' AND indexname LIKE 'idx_%%'"
        ).fetchone()[0]
    assert 0.65 <= float(read_share) <= 0.75
    assert 0.03 <= float(deleted_share) <= 0.07
    assert tenant_level > 0
    assert seed_rows == notifydb_rows
    assert seed_indexes == 5


def test_run_leaves_sampled_inboxes_as_it_found_them(bench_run) -> None:
    result, _out_dir, _dsn = bench_run
    assert result["state_check"].startswith("ok"), result["state_check"]
