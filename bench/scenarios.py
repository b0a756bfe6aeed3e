"""Measurements that are not one call repeated: fan-out against COPY, the outbox relays, retention."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from bench.dataset import PURGE_SHIFT_DAYS, Dataset, vacuum_analyze
from bench.sample import WRITER_TENANT, Sample
from bench.session import Environment, Session
from bench.stats import summarize
from bench.workers import Workers

FAN_OUT_SQL = (
    "SELECT notifydb.fan_out_notification(%s, %s, 'BENCH_FANOUT', 'Bench fan-out', 'Sent by the benchmark.', %s)"
)
SEED_COLUMNS = "user_id, tenant_id, type, title, message, channel"
SEED_PURGE_BATCH = 5000  # the same as notifydb's default batch size
JOBS_TARGET_PER_S = 5000
PURGE_TARGET_ROWS_PER_S = 200_000


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    requires: tuple[str, ...]  # notifydb functions or procedures
    run: Callable[..., dict]


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _recipients(count: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(count)]


# -- fan-out ---------------------------------------------------------------------------------


def fan_out(session: Session, repeats: int, users: int, **_: object) -> dict:
    """fan_out_notification to ``users`` new users, against the seed's COPY and INSERT ... unnest."""
    conn = session.conn

    def notifydb_fan_out() -> None:
        conn.execute(FAN_OUT_SQL, (WRITER_TENANT, _recipients(users), "in_app"))

    def seed_copy() -> None:
        recipients = _recipients(users)
        with conn.transaction(), conn.cursor().copy(f"COPY seed.notifications ({SEED_COLUMNS}) FROM STDIN") as copy:
            for user in recipients:
                copy.write_row(
                    (user, WRITER_TENANT, "BENCH_FANOUT", "Bench fan-out", "Sent by the benchmark.", "in_app")
                )

    def seed_unnest() -> None:
        conn.execute(
            f"INSERT INTO seed.notifications ({SEED_COLUMNS}) SELECT u, %s, 'BENCH_FANOUT', 'Bench fan-out', "
            "'Sent by the benchmark.', 'in_app' FROM unnest(%s::uuid[]) AS u",
            (WRITER_TENANT, _recipients(users)),
        )

    ways = {"notifydb": notifydb_fan_out, "seed_copy": seed_copy, "seed_insert_unnest": seed_unnest}
    runs: dict[str, list[float]] = {name: [] for name in ways}
    names = list(ways)
    for repeat in range(repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:  # rotate who goes first
            # Untimed: each way starts with clean buffers and a fresh checkpoint, so none pays for
            # writing out the pages (or the full-page images) the way before it dirtied.
            conn.execute("CHECKPOINT")
            runs[name].append(_seconds(ways[name]))
    result = {
        name: {"seconds_p50": statistics.median(times), "rows_per_s": users / statistics.median(times), "runs": times}
        for name, times in runs.items()
    }
    met = result["notifydb"]["seconds_p50"] <= result["seed_copy"]["seconds_p50"]
    return {"users": users, **result, "target": "notifydb ≤ baseline COPY (p50)", "met": met}


# -- delivery outbox -----------------------------------------------------------------------------


def outbox(session: Session, dsn: str, redis_url: str | None, sample: Sample, jobs: int, relays: int, **_) -> dict:
    """Claim and complete ``jobs`` e-mail jobs with ``relays`` relay processes: jobs per second."""
    conn = session.conn
    drained = _drain(conn)
    conn.execute(FAN_OUT_SQL, (WRITER_TENANT, _recipients(jobs), "email"))
    relay_clients = Workers(relays, dsn, redis_url, sample)
    try:
        replies = relay_clients.run(("relay", 100))
    finally:
        relay_clients.close()
    done = sum(reply[0] for reply in replies)
    wall = (max(reply[2] for reply in replies) - min(reply[1] for reply in replies)) / 1e9
    if done == 0:
        raise RuntimeError(f"an e-mail fan-out to {jobs} users queued no delivery jobs")
    rate = done / wall
    return {
        "jobs": done,
        "relays": relays,
        "claim_batch": 100,
        "seconds": wall,
        "jobs_per_s": rate,
        "drained_before": drained,
        "target": f"≥ {JOBS_TARGET_PER_S} jobs/s",
        "met": rate >= JOBS_TARGET_PER_S,
    }


def _drain(conn: psycopg.Connection) -> int:
    """Jobs left by earlier operations (the e-mail creates), so the timed run sees only its own."""
    drained = 0
    while ids := [row[0] for row in conn.execute("SELECT job_id FROM notifydb.claim_deliveries(1000)")]:
        drained += conn.execute("SELECT notifydb.complete_deliveries(%s)", (ids,)).fetchone()[0]
    return drained


# -- retention ------------------------------------------------------------------------------------


def purge(session: Session, dataset: Dataset, workers: Workers, **_: object) -> dict:
    """Purge throughput with the default batch size, alone and beside readers, on both schemas.

    The data set carries a reserve of rows older than any retention age; the purge
    runs with p_now shifted back so that only the reserve is due. Afterwards the
    reserve is staged again, so the data set is as built, and the table sizes show
    whether repeated insert-and-purge cycles keep it flat.
    """
    conn = session.conn
    cutoff_now = conn.execute(f"SELECT pg_catalog.now() - interval '{PURGE_SHIFT_DAYS} days'").fetchone()[0]
    purgers = {"notifydb": lambda: _purge_notifydb(conn, cutoff_now), "seed": lambda: _purge_seed(conn, cutoff_now)}
    cycles = []
    for readers in (False, True):
        cycle: dict = {"readers": workers.count if readers else 0, "sides": {}}
        dataset.mark("purging")  # so --keep rebuilds a data set whose reserve a stopped run left purged
        for side, purger in purgers.items():
            cycle["sides"][side] = _purge_once(conn, side, purger, workers if readers else None)
        vacuum_analyze(conn)
        cycle["after_vacuum"] = _sizes(conn)
        cycle["reserve_restored"] = dataset.restore_reserve()
        dataset.mark("ready")
        cycle["after_refill"] = _sizes(conn)
        cycles.append(cycle)
    alone = cycles[0]["sides"]["notifydb"]["rows_per_s"]
    return {
        "cycles": cycles,
        "target": f"≥ {PURGE_TARGET_ROWS_PER_S:,} rows/s alone",
        "met": alone is not None and alone >= PURGE_TARGET_ROWS_PER_S,
    }


def _purge_once(conn: psycopg.Connection, side: str, purger: Callable[[], int], readers: Workers | None) -> dict:
    table = f"{side}.notifications"
    before = _table_state(conn, table)
    if readers is not None:
        readers.start(("until_stop", "inbox.first.typical", side, 7))
        time.sleep(1.0)  # let every reader pass the barrier and warm up
    started = time.monotonic_ns()
    deleted = purger()
    ended = time.monotonic_ns()
    reads = None
    if readers is not None:
        readers.stop.set()
        timed = [pair for reply in readers.collect() for pair in reply]
        reads = summarize([took for at, took in timed if started <= at and at + took <= ended], readers.count)
    seconds = (ended - started) / 1e9
    return {
        "deleted": deleted,
        "seconds": seconds,
        "rows_per_s": deleted / seconds if seconds > 0 else None,
        "inbox_during_purge": reads,
        "before": before,
        "after": _table_state(conn, table),
    }


def _purge_notifydb(conn: psycopg.Connection, cutoff_now) -> int:
    row = conn.execute("CALL notifydb.purge_notifications(p_deleted => NULL, p_now => %s)", (cutoff_now,)).fetchone()
    return int(row[0] or 0)


def _purge_seed(conn: psycopg.Connection, cutoff_now) -> int:
    """The loop a team would write for the seed: batched DELETE, one commit per batch."""
    deleted = 0
    while True:
        count = conn.execute(
            """DELETE FROM seed.notifications WHERE id IN (
                   SELECT id FROM seed.notifications
                   WHERE created_at < %(now)s - interval '90 days'
                      OR expires_at < %(now)s
                      OR deleted_at < %(now)s - interval '7 days'
                   LIMIT %(batch)s)""",
            {"now": cutoff_now, "batch": SEED_PURGE_BATCH},
        ).rowcount
        if count == 0:
            return deleted
        deleted += count


def _table_state(conn: psycopg.Connection, table: str) -> dict:
    conn.execute("SELECT pg_catalog.pg_stat_force_next_flush()")
    conn.execute("SELECT pg_catalog.pg_stat_clear_snapshot()")
    size, live, dead = conn.execute(
        """SELECT pg_catalog.pg_total_relation_size(c.oid), s.n_live_tup, s.n_dead_tup
           FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_stat_user_tables AS s ON s.relid = c.oid
           WHERE c.oid = %s::regclass""",
        (table,),
    ).fetchone()
    return {"total_bytes": size, "live_tuples": live, "dead_tuples": dead}


def _sizes(conn: psycopg.Connection) -> dict:
    return {side: _table_state(conn, f"{side}.notifications") for side in ("notifydb", "seed")}


SCENARIOS = (
    Scenario("fan_out", "fan-out to 10,000 users vs COPY", ("fan_out_notification",), fan_out),
    Scenario(
        "outbox",
        "claim + complete e-mail jobs with 4 relays",
        ("fan_out_notification", "claim_deliveries", "complete_deliveries"),
        outbox,
    ),
    Scenario("purge", "retention purge, alone and beside readers", ("purge_notifications",), purge),
)


def missing(scenario: Scenario, env: Environment) -> list[str]:
    return [f"notifydb.{name}()" for name in scenario.requires if name not in env.functions]
