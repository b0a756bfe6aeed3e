"""One benchmark run: data set, measurements, scenarios, report."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import machine, report, scenarios
from bench.dataset import CHUNKS, GROWTH_CHUNKS, PURGE_SHIFT_DAYS, Dataset, DatasetParams
from bench.measure import Pair, Plan, first_line, many_clients, single_client
from bench.ops import OPERATIONS, Operation
from bench.sample import WRITER_TENANT, Sample, draw
from bench.server import OwnServer
from bench.session import Environment, Session, pin_to_one_core, unpin
from bench.targets import check
from bench.workers import Workers

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
GROWTH_OPS = [op.name for op in OPERATIONS if op.growth]
TARGET_MODES = ("single_unpinned", "single_pinned")  # issue 15: one client, both unpinned and pinned


@dataclass(frozen=True)
class Config:
    dsn: str | None = None  # None: the bench starts a server of its own (bench/server.py)
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
    shared_buffers: str | None = None  # own server only: overrides the size computed from RAM
    mixed_seconds: float = 60.0
    mixed_clients: int = 8
    purge_runs: int = 5
    # Called with the bench database's DSN at the end of a run, before the bench's own server
    # stops (the smoke test inspects the data set through it).
    after_run: Callable[[str], object] | None = None


def log(config: Config, message: str) -> None:
    if not config.quiet:
        print(f"bench: {message}", file=sys.stderr)


def run(config: Config) -> dict:
    """On the server of ``config.dsn``, or on a throwaway server of the bench's own, stopped at the end."""
    if config.dsn is not None:
        return _run(config, {"kind": "given"})
    own = OwnServer(config.shared_buffers)
    log(config, f"starting a server of its own in {own.base}, shared_buffers {own.settings['shared_buffers']}")
    try:
        own.start()
        return _run(replace(config, dsn=own.dsn()), own.describe())
    finally:
        own.stop()
        log(config, "own server stopped and removed")


def _run(config: Config, server: dict) -> dict:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    dataset = Dataset(config.dsn, config.db_name, DatasetParams.for_scale(config.scale), quiet=config.quiet)
    how = dataset.prepare(config.keep, lambda: _growth_point(dataset.dsn, config, "the partly loaded table"))
    machine_info = machine.describe(dataset.dsn, config.redis_url)  # a fresh session, before any measurement
    machine_info["server"] = server
    full_point = _growth_point(dataset.dsn, config, "the full table")
    session = Session(dataset.dsn, config.redis_url)
    phases = Phases(dataset.dsn, session.conn)
    try:
        env = Environment.probe(session.conn, config.redis_url)
        sample = draw(session.conn)
        rows_as_built = _row_counts(session.conn)  # before the write operations add their own rows
        operations = [_describe(op, env) for op in OPERATIONS]
        pairs = _available_pairs(env)
        modes = _measure_modes(session, sample, pairs, config, phases)
        scenario_results = _scenarios(session, dataset, sample, env, config, phases)
        machine_info["measuring_session_changes"] = machine.session_changes(session.conn)
        machine_info["phases"] = phases.done
        result = {
            "meta": {
                "started": started,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "plan": asdict(config.plan),
                "db_name": config.db_name,
                "timing": "per call: send, execute and receive all rows (libpq); Python row conversion excluded",
            },
            "machine": machine_info,
            "dataset": {"params": asdict(dataset.params), "how": how, "rows": rows_as_built},
            "operations": operations,
            "modes": modes,
            "targets": {
                "modes": list(TARGET_MODES),
                "by_mode": {key: _check_targets(modes[key]) for key in TARGET_MODES if "figures" in modes[key]},
            },
            "scenarios": scenario_results,
            "growth": _growth(dataset.growth, full_point),
            "state_check": _state_check(session.conn, sample),
        }
    finally:
        phases.close()
        session.close()
    result["files"] = [str(path) for path in report.write(config.out_dir, result)]
    if config.after_run is not None:
        config.after_run(dataset.dsn)
    return result


class Phases:
    """Buffer hits and reads around each measured phase, on a connection of its own."""

    def __init__(self, dsn: str, measuring: psycopg.Connection) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True, application_name="notifydb bench monitor")
        self.measuring = measuring
        self.done: list[dict] = []

    def measure(self, name: str, work):
        before = machine.io_snapshot(self.conn)
        try:
            return work()
        finally:
            # A busy backend sends its statistics at most once a second: the measuring session
            # sends its own now; client processes have exited or get a moment to send theirs.
            self.measuring.execute("SELECT pg_catalog.pg_stat_force_next_flush()")
            self.conn.execute("SELECT pg_catalog.pg_sleep(1.1)")
            self.done.append(machine.io_phase(name, before, machine.io_snapshot(self.conn)))

    def close(self) -> None:
        self.conn.close()


def _describe(op: Operation, env: Environment) -> dict:
    return {
        "name": op.name,
        "label": op.label,
        "group": op.group,
        "floor": op.floor,
        "writes": op.writes,
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


def _measure_modes(session: Session, sample: Sample, pairs: list[Pair], config: Config, phases: Phases) -> dict:
    plan = config.plan
    log(config, f"one client, unpinned: {len(pairs)} operation sides")
    modes: dict[str, dict] = {
        "single_unpinned": phases.measure(
            "one client, unpinned", lambda: single_client(session, sample, pairs, plan, config.seed).as_dict()
        )
    }
    modes["single_pinned"] = phases.measure("one client, pinned", lambda: _pinned(session, sample, pairs, config))
    log(config, f"{plan.clients} client processes")
    workers = Workers(plan.clients, session.conn.info.dsn, config.redis_url, sample)
    try:
        modes["clients"] = phases.measure(
            f"{plan.clients} clients", lambda: many_clients(workers, pairs, plan, config.seed + 2).as_dict()
        )
    finally:
        workers.close()
    return modes


def _pinned(session: Session, sample: Sample, pairs: list[Pair], config: Config) -> dict:
    """One client with its backend, and redis-server when it runs here, on one core.
    Redis operations are left out when redis-server could not be pinned with them."""
    try:
        pinned = pin_to_one_core(session)
    except OSError as exc:
        return {"skipped": f"cannot pin: {exc}"}
    left_out = {}
    if pinned.redis_not_pinned:
        left_out = {
            op.name: f"redis-server not pinned: {pinned.redis_not_pinned}" for op, _ in pairs if _uses_redis(op)
        }
    log(config, f"one client, pinned with its backend{'' if left_out else ' and redis-server'} to CPU {pinned.cpu}")
    try:
        outcome = single_client(
            session, sample, [pair for pair in pairs if pair[0].name not in left_out], config.plan, config.seed + 1
        )
    finally:
        unpin(pinned)
    return outcome.as_dict() | pinned.describe() | {"left_out": left_out}


def _uses_redis(op: Operation) -> bool:
    return any("redis" in side.needs for side in op.sides().values())


def _scenarios(
    session: Session, dataset: Dataset, sample: Sample, env: Environment, config: Config, phases: Phases
) -> dict:
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
            results[scenario.name] = phases.measure(
                f"scenario {scenario.name}",
                lambda scenario=scenario, readers=readers: scenario.run(
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
                    purge_runs=config.purge_runs,
                    mixed_seconds=config.mixed_seconds,
                    mixed_clients=config.mixed_clients,
                    seed=config.seed,
                ),
            )
        except (psycopg.Error, RuntimeError) as exc:
            results[scenario.name] = {"failed": first_line(exc)}
        finally:
            if readers is not None:
                readers.close()
    return results


def _check_targets(mode: dict) -> dict:
    return {
        op.name: [check(target, op.name, mode["figures"]) for target in op.targets] for op in OPERATIONS if op.targets
    }


# -- growth: the same reads at 0.2 N live rows (measured during the build) and at N ---------------


def _growth_point(dsn: str, config: Config, what: str) -> dict:
    """The growth reads on a session of their own, one client unpinned, with the run's plan."""
    log(config, f"growth point: measuring reads on {what}")
    session = Session(dsn, None)
    try:
        env = Environment.probe(session.conn, None)
        sample = draw(session.conn)
        rows = _notification_rows(session.conn)
        outcome = single_client(session, sample, _available_pairs(env, set(GROWTH_OPS)), config.plan, config.seed)
        return {**rows, "users": _users_digest(sample), "plan": asdict(config.plan), **outcome.as_dict()}
    finally:
        session.close()


def _users_digest(sample: Sample) -> str:
    """Which inboxes were sampled: equal digests mean the same users."""
    keys = sorted(f"{inbox.tenant_id}/{inbox.user_id}" for inbox in sample.typical + sample.heavy)
    return f"{len(keys)} inboxes, sha256 {hashlib.sha256(' '.join(keys).encode()).hexdigest()[:16]}"


def _growth(small: dict | None, full: dict) -> dict:
    if not small:
        return {"operations": GROWTH_OPS, "points": [], "note": "no small point: the reused data set recorded none"}
    same_users, same_plan = small["users"] == full["users"], small["plan"] == full["plan"]
    note = (
        "Both points are one client, unpinned, measuring only these reads, "
        + ("with the same plan" if same_plan else "**with different plans**")
        + f" ({full['plan']['rounds']} rounds of {full['plan']['iterations']}). The small point was measured "
        f"while the data set was built, after {GROWTH_CHUNKS} of its {CHUNKS} batches: "
        + (
            "the same sampled users, each with a fifth of their rows (and a fifth of the purge reserve)."
            if same_users
            else "**the sampled users differ from the full point's**."
        )
    )
    return {
        "operations": GROWTH_OPS,
        "points": [small, full],
        "same_users": same_users,
        "same_plan": same_plan,
        "note": note,
    }


# -- what the data set holds, and whether the run left it as it found it ---------------------------


def _notification_rows(conn: psycopg.Connection) -> dict:
    """The data set's notifications: live ones (newer than the purge reserve) and all, leaving
    out what the bench's own writes added (they go to a tenant of their own)."""
    live, total = conn.execute(
        "SELECT count(*) FILTER (WHERE created_at > pg_catalog.now() - %s::interval), count(*) "
        "FROM notifydb.notifications WHERE tenant_id <> %s",
        (f"{PURGE_SHIFT_DAYS} days", WRITER_TENANT),
    ).fetchone()
    return {"live": live, "total": total}


def _row_counts(conn: psycopg.Connection) -> dict:
    rows = _notification_rows(conn)
    heaviest, over_10k = conn.execute(
        "SELECT max(n_rows), count(*) FILTER (WHERE n_rows >= 10000) FROM bench_meta.recipients "
        "WHERE user_id IS NOT NULL"
    ).fetchone()
    events = conn.execute("SELECT count(*) FROM notifydb.admin_system_events").fetchone()[0]
    return {
        "notifications": rows["total"],
        "live": rows["live"],
        "events": events,
        "heaviest_inbox": heaviest,
        "inboxes_10k": over_10k,
    }


def _state_check(conn: psycopg.Connection, sample: Sample) -> str:
    """Writes were restored after each iteration: on every sampled inbox, notifydb's unread count
    must still equal the seed's visible unread rows (rows that expired meanwhile drop out of both)."""
    differ = []
    for inbox in sample.typical + sample.heavy:
        notifydb_count, seed_count = conn.execute(
            "SELECT notifydb.unread_count(%(t)s, %(u)s), (SELECT count(*) FROM seed.notifications"
            " WHERE tenant_id = %(t)s AND user_id = %(u)s AND NOT is_read AND deleted_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now()))",
            {"t": inbox.tenant_id, "u": inbox.user_id},
        ).fetchone()
        if notifydb_count != seed_count:
            differ.append(f"{inbox.user_id}: notifydb {notifydb_count}, seed {seed_count}")
    if differ:
        return f"{len(differ)} sampled inboxes changed during the run: " + "; ".join(differ[:5])
    return f"ok: all {len(sample.typical) + len(sample.heavy)} sampled inboxes have as many unread rows in both schemas"
