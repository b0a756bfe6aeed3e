"""A tiny benchmark run (scale 0.01), so the suite in bench/ never rots.

The run starts the bench's own server (as `bench` does without --dsn, with a
small shared_buffers) and stops it at the end. It checks that a run writes its
files, that every operation and scenario (the purge runs and a short mixed load
included) ran on both schemas without a failure, that WAL bytes are measured
beside the writes, that both growth points were measured alike, that targets
are judged on both single-client tables, and that the run leaves the data set
as it found it. No timing is asserted: speed is judged in bench/results/.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import psycopg
import pytest

from bench.main import Config, run
from bench.measure import Plan
from bench.stats import MIN_SAMPLES_FOR_P99

CLIENTS = 3
CLIENT_ITERATIONS = 4
ROUNDS = 2
ITERATIONS = 3
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIXED_CLIENTS = 2
PURGE_RUNS = 2


def _data_shape(dsn: str) -> dict:
    """What the data set holds at the end of the run, read before the bench's server stops."""
    with psycopg.connect(dsn) as conn:
        read_share, deleted_share, tenant_level, seed_rows, notifydb_rows = conn.execute(
            """SELECT avg(is_read::int) FILTER (WHERE created_at > now() - interval '90 days'),
                      avg((deleted_at IS NOT NULL)::int),
                      count(*) FILTER (WHERE user_id IS NULL),
                      (SELECT count(*) FROM seed.notifications WHERE type NOT LIKE 'BENCH%%'),
                      count(*) FILTER (WHERE type NOT LIKE 'BENCH%%')
               FROM notifydb.notifications"""
        ).fetchone()
        seed_indexes = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_indexes WHERE schemaname = 'seed' AND indexname LIKE 'idx_%%'"
        ).fetchone()[0]
        mixed_rows = conn.execute(
            "SELECT (SELECT count(*) FROM notifydb.notifications WHERE type = 'BENCH_MIXED')"
            " + (SELECT count(*) FROM seed.notifications WHERE type = 'BENCH_MIXED')"
        ).fetchone()[0]
        settings = dict(conn.execute("SELECT name, setting FROM pg_catalog.pg_settings").fetchall())
    return {
        "read_share": float(read_share),
        "deleted_share": float(deleted_share),
        "tenant_level": tenant_level,
        "seed_rows": seed_rows,
        "notifydb_rows": notifydb_rows,
        "seed_indexes": seed_indexes,
        "mixed_rows": mixed_rows,
        "settings": settings,
    }


@pytest.fixture(scope="module")
def bench_run(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, dict]:
    out_dir = tmp_path_factory.mktemp("bench_results")
    seen: dict = {}
    config = Config(
        dsn=None,  # the bench's own server
        shared_buffers="128MB",
        after_run=lambda dsn: seen.update(_data_shape(dsn)),
        mixed_seconds=1.5,
        mixed_clients=MIXED_CLIENTS,
        purge_runs=PURGE_RUNS,
        scale=0.01,
        redis_url=redis_url,
        out_dir=out_dir,
        plan=Plan(
            rounds=ROUNDS,
            iterations=ITERATIONS,
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
    return run(config), out_dir, seen


def _summaries(result: dict):
    for key, mode in result["modes"].items():
        for name, sides in mode.get("figures", {}).items():
            for side, summary in sides.items():
                yield (key, name, side), summary


def test_writes_every_file(bench_run) -> None:
    result, out_dir, _shape = bench_run
    for name in ("results.json", "results.md", "machine.md"):
        assert (out_dir / name).stat().st_size > 0, name
    for chart in ("latency.png", "growth.png"):
        assert (out_dir / chart).read_bytes()[:8] == PNG_MAGIC, chart
    assert {Path(path).name for path in result["files"]} >= {"latency.png", "growth.png"}
    assert json.loads((out_dir / "results.json").read_text())["operations"] == result["operations"]
    markdown = (out_dir / "results.md").read_text()
    for heading in (
        "## Targets",
        "## One client, unpinned",
        f"## Concurrent clients ({CLIENTS} processes)",
        "## Scenarios",
        "## Growth: single client, unpinned, p50 ms",
    ):
        assert f"\n{heading}\n" in markdown, heading


def test_every_operation_ran_on_both_sides_in_every_mode(bench_run) -> None:
    result, _out_dir, _shape = bench_run
    modes = result["modes"]
    if sys.platform.startswith("linux"):
        assert "skipped" not in modes["single_pinned"], modes["single_pinned"]
    measured = {key: mode for key, mode in modes.items() if "skipped" not in mode}
    for key, mode in measured.items():
        assert mode["failures"] == {}, key
    for op in result["operations"]:
        assert set(op["availability"]) == ({"notifydb", "seed"} if op["has_seed"] else {"notifydb"})
        for side, missing in op["availability"].items():
            assert missing == [], (op["name"], side)
            for key, mode in measured.items():
                if op["name"] in mode.get("left_out", {}):
                    continue  # checked by the pinning test below
                summary = mode["figures"].get(op["name"], {}).get(side)
                assert summary is not None and summary["n"] > 0, (key, op["name"], side)
                assert 0 < summary["p50_ms"] <= summary["max_ms"]


def test_redis_server_is_pinned_with_the_client_or_its_rows_left_out(bench_run) -> None:
    result, out_dir, _shape = bench_run
    pinned = result["modes"]["single_pinned"]
    redis_ops = {op["name"] for op in result["operations"] if op["group"] == "redis" or op["name"] == "floor.redis_get"}
    if os.environ.get("NOTIFYDB_TEST_REDIS_URL") and pinned["redis_not_pinned"]:
        # A given Redis may run elsewhere: then its operations are not measured pinned at all.
        assert set(pinned["left_out"]) == redis_ops
        assert not redis_ops & set(pinned["figures"])
        return
    # The suite's own redis-server runs here: the pinned Redis figures share the core with the client.
    assert pinned["redis_server_pid"] and pinned["redis_not_pinned"] is None
    assert pinned["left_out"] == {} and redis_ops <= set(pinned["figures"])
    assert f"redis-server (pid {pinned['redis_server_pid']})" in (out_dir / "results.md").read_text()


def _purge_cycles(result: dict) -> list[dict]:
    purge = result["scenarios"]["purge"]
    return [*purge["runs"], purge["beside_readers"]]


def test_p99_only_where_there_are_enough_samples(bench_run) -> None:
    result, out_dir, _shape = bench_run
    purge_reads = [
        (("purge", cycle["readers"], side, when), figures[when])
        for cycle in _purge_cycles(result)
        for side, figures in cycle["sides"].items()
        for when in ("inbox_idle", "inbox_during_purge")
        if figures[when]
    ]
    assert len(purge_reads) == 4  # idle and during the purge, on each side
    mixed = [
        (("mixed", side, kind), summary)
        for side, figures in result["scenarios"]["mixed"]["sides"].items()
        for kind, summary in [("all", figures["all"]), *figures["by_kind"].items()]
        if summary
    ]
    for where, summary in [*_summaries(result), *purge_reads, *mixed]:
        if summary["n"] < MIN_SAMPLES_FOR_P99:
            assert summary["p99_ms"] is None, where
        else:
            assert summary["p50_ms"] <= summary["p99_ms"] <= summary["max_ms"], where
    assert " / n/a / " in (out_dir / "results.md").read_text()


def test_every_scenario_ran_and_was_judged(bench_run) -> None:
    result, _out_dir, _shape = bench_run
    assert set(result["scenarios"]) == {"fan_out", "outbox", "purge", "mixed"}
    for name, scenario in result["scenarios"].items():
        assert "failed" not in scenario and "not_available" not in scenario, (name, scenario)
        assert isinstance(scenario["met"], bool), name
    fan_out = result["scenarios"]["fan_out"]
    assert all(fan_out[way]["seconds_p50"] > 0 for way in ("notifydb", "seed_copy", "seed_insert_unnest"))
    assert result["scenarios"]["outbox"]["jobs"] == 500


def test_purge_runs_repeat_on_both_sides_from_the_same_data(bench_run) -> None:
    result, out_dir, _shape = bench_run
    purge = result["scenarios"]["purge"]
    assert len(purge["runs"]) == PURGE_RUNS and purge["beside_readers"]["readers"] == CLIENTS
    assert [list(run["sides"]) for run in purge["runs"]] == [["notifydb", "seed"], ["seed", "notifydb"]]
    deleted = {cycle["sides"]["notifydb"]["deleted"] for cycle in _purge_cycles(result)}
    assert len(deleted) == 1 and deleted.pop() > 0  # every run deletes the same reserve
    for cycle in _purge_cycles(result):
        assert cycle["sides"]["seed"]["deleted"] == cycle["sides"]["notifydb"]["deleted"] == cycle["reserve_restored"]
    for side, figures in purge["rows_per_s"].items():
        assert len(figures["runs"]) == PURGE_RUNS and figures["min"] <= figures["median"] <= figures["max"], side
    assert [check["target"] for check in purge["checks"]] == [
        "≥ 3x the hand-written batched DELETE (median rows/s)",
        "reader p99 during the purge ≤ 2x idle p99",
    ]
    assert "| seed | " in (out_dir / "results.md").read_text().split("retention purge", 1)[1]


def test_mixed_load_ran_every_kind_on_both_sides_and_was_undone(bench_run) -> None:
    result, out_dir, shape = bench_run
    mixed = result["scenarios"]["mixed"]
    assert mixed["clients"] == MIXED_CLIENTS and abs(sum(mixed["mix"].values()) - 1) < 1e-9
    for side, figures in mixed["sides"].items():
        assert figures["calls"] > 0 and figures["ops_per_s"] > 0, side
        for kind in ("page", "count", "create"):
            assert figures["by_kind"][kind] and figures["by_kind"][kind]["n"] > 0, (side, kind)
        restored = figures["restored"]
        assert restored["created_rows_deleted"] == figures["by_kind"]["create"]["n"], side
    assert shape["mixed_rows"] == 0
    assert [check["target"] for check in mixed["checks"]] == [
        "throughput ≥ 1.2x hand-written SQL",
        "p99 ≤ hand-written SQL's p99",
    ]
    assert "- **mixed load**: " in (out_dir / "results.md").read_text()


def test_growth_points_are_a_fifth_and_all_of_the_live_rows_measured_alike(bench_run) -> None:
    result, _out_dir, _shape = bench_run
    growth = result["growth"]
    small, full = growth["points"]
    assert full["live"] == result["dataset"]["rows"]["live"]
    assert 0.18 <= small["live"] / full["live"] <= 0.22
    assert growth["same_users"] and growth["same_plan"]
    assert small["users"] == full["users"] and small["plan"] == full["plan"] == result["meta"]["plan"]
    assert set(growth["operations"]) == {"inbox.first.typical", "inbox.first.heavy", "count.typical", "count.heavy"}
    for point in (small, full):
        assert point["failures"] == {}
        for name in growth["operations"]:
            for side in ("notifydb", "seed"):
                assert point["figures"][name][side]["n"] == ROUNDS * ITERATIONS, (name, side)


def test_targets_compare_with_hand_written_sql_on_both_single_client_tables(bench_run) -> None:
    result, out_dir, _shape = bench_run
    targets = result["targets"]
    assert targets["modes"] == ["single_unpinned", "single_pinned"]
    assert set(targets["by_mode"]) <= set(targets["modes"]) and "single_unpinned" in targets["by_mode"]
    judged = targets["by_mode"]["single_unpinned"]
    assert set(judged) == {op["name"] for op in result["operations"] if op["targets"]}
    assert not any("floor" in check["target"] for checks in judged.values() for check in checks)
    assert [check["target"] for check in judged["count.heavy"]] == [
        "≤ 1.1x hand-written SQL",
        "≥ 10x faster than hand-written SQL",
    ]
    assert [check["target"] for check in judged["event.resolve"]] == [
        "≤ 1x hand-written SQL",
        "WAL ≤ 1.5x hand-written SQL",
    ]
    markdown = (out_dir / "results.md").read_text()
    summary = markdown.split("\n## Targets\n", 1)[1].split("\n## ", 1)[0]
    for mode in targets["by_mode"].values():
        for name, checks in mode.items():
            for check in checks:
                assert check["measured"] is not None and isinstance(check["met"], bool), (name, check)
    for name, checks in judged.items():
        for check in checks:
            assert f"(`{name}`) | {check['target']} | {check['shown']} |" in summary
    for scenario in result["scenarios"]:
        assert f"| scenario `{scenario}` |" in summary


def test_wal_bytes_are_measured_beside_every_write(bench_run) -> None:
    result, out_dir, _shape = bench_run
    writes = [op for op in result["operations"] if op["writes"]]
    assert {"mark_read", "create.in_app", "event.record", "event.resolve"} <= {op["name"] for op in writes}
    for key in ("single_unpinned", "single_pinned"):
        figures = result["modes"][key]["figures"]
        for op in writes:
            for side in op["availability"]:
                summary = figures.get(op["name"], {}).get(side)
                if summary is None:
                    continue  # left out of the pinned table
                assert summary["wal_bytes_p50"] > 0 and summary["wal_bytes_mean"] > 0, (key, op["name"], side)
        reads = figures["inbox.first.typical"]["notifydb"]
        assert "wal_bytes_p50" not in reads
    assert "WAL bytes/call notifydb / hand-written SQL" in (out_dir / "results.md").read_text()


def test_machine_shows_server_settings_not_the_loaders(bench_run) -> None:
    result, out_dir, _shape = bench_run
    machine = result["machine"]
    assert machine["measuring_session_changes"] == []
    settings = machine["postgres_settings"]
    assert {"shared_buffers", "work_mem", "maintenance_work_mem", "synchronous_commit"} <= set(settings)
    assert all(setting["source"] != "session" for setting in settings.values())
    text = (out_dir / "machine.md").read_text()
    assert "- CPU: " in text and "Settings changed by the measuring session: none." in text
    shared = settings["shared_buffers"]
    assert f"| shared_buffers | {shared['value']} | {shared['source']} | {shared['default']} |" in text


def test_the_bench_starts_and_stops_a_server_of_its_own(bench_run) -> None:
    result, out_dir, shape = bench_run
    server = result["machine"]["server"]
    assert server["kind"] == "own" and server["config_file"] == "bench/postgresql.conf"
    assert not Path(server["folder"]).exists()  # stopped and removed
    settings = result["machine"]["postgres_settings"]
    assert (
        settings["shared_buffers"]["value"] == "128MB" and settings["shared_buffers"]["source"] == "configuration file"
    )
    assert settings["autovacuum"]["value"] == "on" and settings["synchronous_commit"]["value"] == "on"
    assert settings["fsync"]["value"] == "on" and settings["max_wal_size"]["value"] == "16GB"
    assert shape["settings"]["autovacuum"] == "on"
    phases = {phase["phase"]: phase for phase in result["machine"]["phases"]}
    assert {"one client, unpinned", "one client, pinned", f"{CLIENTS} clients"} <= set(phases)
    assert {f"scenario {name}" for name in result["scenarios"]} <= set(phases)
    ratio = phases["one client, unpinned"]["database"]["ratio"]
    assert ratio is not None and 0 <= ratio <= 1
    assert "Buffer hit ratio of each measured phase" in (out_dir / "machine.md").read_text()


def test_seed_baseline_and_floors_are_always_measured(bench_run) -> None:
    result, _out_dir, _shape = bench_run
    unpinned = result["modes"]["single_unpinned"]["figures"]
    concurrent = result["modes"]["clients"]["figures"]
    assert unpinned["floor.select1"]["notifydb"]["n"] == ROUNDS * ITERATIONS
    assert concurrent["floor.select1"]["notifydb"]["n"] == CLIENTS * CLIENT_ITERATIONS
    assert unpinned["floor.redis_get"]["notifydb"]["n"] > 0
    with_seed = [op["name"] for op in result["operations"] if op["has_seed"]]
    assert len(with_seed) >= 18
    for name in with_seed:
        assert unpinned[name]["seed"]["n"] > 0, name


def test_data_set_has_the_intended_shape(bench_run) -> None:
    result, _out_dir, shape = bench_run
    rows = result["dataset"]["rows"]
    assert 45_000 <= rows["live"] <= 55_000
    assert rows["events"] == 10_000
    assert 0.65 <= shape["read_share"] <= 0.75
    assert 0.03 <= shape["deleted_share"] <= 0.07
    assert shape["tenant_level"] > 0
    assert shape["seed_rows"] == shape["notifydb_rows"]
    assert shape["seed_indexes"] == 5


def test_run_leaves_sampled_inboxes_as_it_found_them(bench_run) -> None:
    result, _out_dir, _shape = bench_run
    assert result["state_check"].startswith("ok"), result["state_check"]
