"""One benchmark run: data set, measurements, scenarios, report."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import machine, report, scenarios
from bench.dataset import Dataset, DatasetParams
from bench.measure import Outcome, Pair, Plan, first_line, many_clients, single_client
from bench.ops import OPERATIONS, Operation
from bench.sample import Sample, draw
from bench.session import Environment, Session, pin_to_one_core, unpin
from bench.targets import Figures
from bench.workers import Workers

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
GROWTH_ROUNDS = 3


@dataclass(frozen=True)
class Config:
    dsn: str
    db_name: str = "notifydb_bench"
    scale: float = 1.0
    keep: bool = False
    redis_url: str | None = "redis://127.0.0.1:6379/0"
    out_dir: Path = DEFAULT_RESULTS
    plan: Plan = field(default_factory=Plan)
    fan_out_users: int = 10_000
    fan_out_repeats: int = 5
    outbox_jobs: int = 10_000
    relays: int = 4
    seed: int = 20_240_601
    quiet: bool = False


def log(config: Config, message: str) -> None:
    if not config.quiet:
        print(f"bench: {message}", file=sys.stderr)


def run(config: Config) -> dict:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    dataset = Dataset(config.dsn, config.db_name, DatasetParams.for_scale(config.scale), quiet=config.quiet)
    how = dataset.prepare(config.keep, lambda conn: _growth_point(dataset, conn, config))
    session = Session(dataset.dsn, config.redis_url)
    try:
        env = Environment.probe(session.conn, config.redis_url)
        sample = draw(session.conn)
        rows_as_built = _row_counts(session.conn)  # before the write operations add their own rows
        operations = [_describe(op, env) for op in OPERATIONS]
        pairs = _available_pairs(env)
        modes = _measure_modes(session, sample, pairs, config)
        scenario_results = _scenarios(session, dataset, sample, env, config)
        result = {
            "meta": {
                "started": started,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "plan": asdict(config.plan),
                "db_name": config.db_name,
                "timing": "per call: send, execute and receive all rows (libpq); Python row conversion excluded",
            },
            "machine": machine.describe(session.conn, config.redis_url if env.redis_ok else None),
            "dataset": {"params": asdict(dataset.params), "how": how, "rows": rows_as_built},
            "operations": operations,
            "modes": modes,
            "targets": {key: _check_targets(mode) for key, mode in modes.items() if "figures" in mode},
            "scenarios": scenario_results,
            "growth": _growth(dataset, modes),
            "state_check": _state_check(session.conn, sample),
        }
    finally:
        session.close()
    result["files"] = [str(path) for path in report.write(config.out_dir, result)]
    return result


def _describe(op: Operation, env: Environment) -> dict:
    return {
        "name": op.name,
        "label": op.label,
        "group": op.group,
        "floor": op.floor,
        "has_seed": op.seed is not None,
        "growth": op.growth,
        "targets": [target.describe() for target in op.targets],
        "availability": {side: env.missing(spec) for side, spec in op.sides().items()},
    }


def _available_pairs(env: Environment, only: set[str] | None = None) -> list[Pair]:
    return [
        (op, side)
        for op in OPERATIONS
        if only is None or op.name in only
        for side, spec in op.sides().items()
        if not env.missing(spec)
    ]


def _measure_modes(session: Session, sample: Sample, pairs: list[Pair], config: Config) -> dict:
    plan = config.plan
    log(config, f"one client, unpinned: {len(pairs)} operation sides")
    modes: dict[str, dict] = {"single_unpinned": single_client(session, sample, pairs, plan, config.seed).as_dict()}
    try:
        cpu, saved = pin_to_one_core(session)
    except OSError as exc:
        modes["single_pinned"] = {"skipped": f"cannot pin: {exc}"}
    else:
        log(config, f"one client, pinned with its backend to CPU {cpu}")
        try:
            outcome = single_client(session, sample, pairs, plan, config.seed + 1)
        finally:
            unpin(saved)
        modes["single_pinned"] = outcome.as_dict() | {"cpu": cpu}
    log(config, f"{plan.clients} client processes")
    workers = Workers(plan.clients, session.conn.info.dsn, config.redis_url, sample)
    try:
        modes["clients"] = many_clients(workers, pairs, plan, config.seed + 2).as_dict()
    finally:
        workers.close()
    return modes


def _scenarios(session: Session, dataset: Dataset, sample: Sample, env: Environment, config: Config) -> dict:
    results: dict[str, dict] = {}
    for scenario in scenarios.SCENARIOS:
        missing = scenarios.missing(scenario, env)
        if missing:
            results[scenario.name] = {"not_available": missing}
            continue
        log(config, f"scenario {scenario.name}")
        readers = (
            Workers(config.plan.clients, dataset.dsn, config.redis_url, sample) if scenario.name == "purge" else None
        )
        try:
            results[scenario.name] = scenario.run(
                session=session,
                dataset=dataset,
                workers=readers,
                dsn=dataset.dsn,
                redis_url=config.redis_url,
                sample=sample,
                repeats=config.fan_out_repeats,
                users=config.fan_out_users,
                jobs=config.outbox_jobs,
                relays=config.relays,
            )
        except (psycopg.Error, RuntimeError) as exc:
            results[scenario.name] = {"failed": first_line(exc)}
        finally:
            if readers is not None:
                readers.close()
    return results


def _check_targets(mode: dict) -> dict:
    figures: Figures = mode["figures"]
    return {
        op.name: [{"target": target.describe(), "met": target.check(op.name, figures)} for target in op.targets]
        for op in OPERATIONS
        if op.targets
    }


# -- growth: the same reads at 0.2 N rows (measured during the build) and at N ------------------


def _growth_point(dataset: Dataset, conn: psycopg.Connection, config: Config) -> dict:
    log(config, "growth point: measuring reads on the partly loaded table")
    session = Session(dataset.dsn, None)
    try:
        env = Environment.probe(session.conn, None)
        growth_ops = {op.name for op in OPERATIONS if op.growth}
        plan = Plan(rounds=GROWTH_ROUNDS, iterations=config.plan.iterations)
        outcome: Outcome = single_client(
            session, draw(session.conn), _available_pairs(env, growth_ops), plan, config.seed
        )
        rows = conn.execute("SELECT count(*) FROM notifydb.notifications").fetchone()[0]
        return {"rows": rows, **outcome.as_dict()}
    finally:
        session.close()


def _growth(dataset: Dataset, modes: dict) -> dict:
    growth_ops = [op.name for op in OPERATIONS if op.growth]
    if not dataset.growth:
        return {"note": "no growth point recorded", "operations": growth_ops}
    with psycopg.connect(dataset.dsn) as conn:
        rows = conn.execute("SELECT count(*) FROM notifydb.notifications").fetchone()[0]
    full = {"rows": rows, "figures": {name: modes["single_unpinned"]["figures"].get(name, {}) for name in growth_ops}}
    note = (
        f"The small point was measured while the data set was built ({GROWTH_ROUNDS} rounds); "
        "the full point is this run's unpinned figure. Heavy users are the same users with a fifth of their rows."
    )
    return {"operations": growth_ops, "points": [dataset.growth, full], "note": note}


# -- what the data set holds, and whether the run left it as it found it ---------------------------


def _row_counts(conn: psycopg.Connection) -> dict:
    total, live = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE created_at > pg_catalog.now() - interval '90 days') "
        "FROM notifydb.notifications"
    ).fetchone()
    heaviest, over_10k = conn.execute(
        "SELECT max(n_rows), count(*) FILTER (WHERE n_rows >= 10000) FROM bench_meta.recipients "
        "WHERE user_id IS NOT NULL"
    ).fetchone()
    events = conn.execute("SELECT count(*) FROM notifydb.admin_system_events").fetchone()[0]
    return {
        "notifications": total,
        "live": live,
        "events": events,
        "heaviest_inbox": heaviest,
        "inboxes_10k": over_10k,
    }


def _state_check(conn: psycopg.Connection, sample: Sample) -> str:
    """Writes were restored after each iteration: both schemas must still agree on every sampled inbox."""
    differ = []
    for inbox in sample.typical + sample.heavy:
        counts = [
            conn.execute(
                f"SELECT count(*) FROM {table} WHERE tenant_id = %s AND user_id = %s AND NOT is_read",
                (inbox.tenant_id, inbox.user_id),
            ).fetchone()[0]
            for table in ("notifydb.notifications", "seed.notifications")
        ]
        if counts != [len(inbox.unread_ids)] * 2:
            differ.append(f"{inbox.user_id}: sampled {len(inbox.unread_ids)}, notifydb {counts[0]}, seed {counts[1]}")
    if differ:
        return f"{len(differ)} sampled inboxes changed during the run: " + "; ".join(differ[:5])
    return f"ok: all {len(sample.typical) + len(sample.heavy)} sampled inboxes have their unread rows as sampled"
