"""Measurements that are not one call repeated: fan-out against COPY, the outbox relays, retention,
and a mixed load of many clients."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from bench.dataset import PURGE_SHIFT_DAYS, Dataset, rebuild_derived_state, vacuum_analyze
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
PURGE_SPEEDUP = 3.0  # issue 15: notifydb's purge against the hand-written batched DELETE, same run
READER_P99_FACTOR = 2.0
READER_IDLE_SECONDS = 2.0
MIXED_THROUGHPUT = 1.2
# What each mixed-load client does, by share of its calls (issue 15: 75 % inbox page or count).
MIX = (("page", 0.45), ("count", 0.30), ("create", 0.15), ("mark_read", 0.08), ("mark_all_read", 0.02))


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


def purge(session: Session, dataset: Dataset, workers: Workers, purge_runs: int, **_: object) -> dict:
    """Purge throughput with the default batch size on both schemas, ``purge_runs`` times, then
    once beside readers whose inbox latency is compared with their latency when idle.

    The data set carries a reserve of rows older than any retention age; the purge
    runs with p_now shifted back so that only the reserve is due. Each purge starts
    from a CHECKPOINT (no purge pays for writing out what the one before dirtied);
    the two sides take turns going first. After each run the reserve is staged
    again, so every run deletes the same rows from a data set as built, and the
    table sizes show whether repeated insert-and-purge cycles keep it flat.
    """
    conn = session.conn
    cutoff_now = conn.execute(f"SELECT pg_catalog.now() - interval '{PURGE_SHIFT_DAYS} days'").fetchone()[0]
    purgers = {"notifydb": lambda: _purge_notifydb(conn, cutoff_now), "seed": lambda: _purge_seed(conn, cutoff_now)}
    runs = []
    for number in range(purge_runs):
        order = list(purgers) if number % 2 == 0 else list(reversed(purgers))
        runs.append(_purge_cycle(conn, dataset, {side: purgers[side] for side in order}, None))
    beside = _purge_cycle(conn, dataset, purgers, workers)
    rates = {side: [run["sides"][side]["rows_per_s"] or 0.0 for run in runs] for side in purgers}
    summary = {side: _spread(values) for side, values in rates.items()}
    speedup = summary["notifydb"]["median"] / summary["seed"]["median"] if summary["seed"]["median"] else None
    readers = beside["sides"]["notifydb"]
    idle_p99 = (readers["inbox_idle"] or {}).get("p99_ms")
    during_p99 = (readers["inbox_during_purge"] or {}).get("p99_ms")
    p99_ratio = during_p99 / idle_p99 if idle_p99 and during_p99 else None
    checks = [
        {
            "target": f"≥ {PURGE_SPEEDUP:g}x the hand-written batched DELETE (median rows/s)",
            "measured": speedup,
            "shown": "-" if speedup is None else f"{speedup:.2f}x",
            "met": speedup is not None and speedup >= PURGE_SPEEDUP,
        },
        {
            "target": f"reader p99 during the purge ≤ {READER_P99_FACTOR:g}x idle p99",
            "measured": p99_ratio,
            "shown": "not enough reads for a p99" if p99_ratio is None else f"{p99_ratio:.2f}x",
            "met": p99_ratio is not None and p99_ratio <= READER_P99_FACTOR,
        },
    ]
    return {
        "runs": runs,
        "rows_per_s": summary,
        "beside_readers": beside,
        "checks": checks,
        "target": "; ".join(check["target"] for check in checks),
        "met": all(check["met"] for check in checks),
    }


def _spread(values: list[float]) -> dict:
    median = statistics.median(values) if values else 0.0
    return {
        "median": median,
        "min": min(values, default=0.0),
        "max": max(values, default=0.0),
        "spread": (max(values) - min(values)) / median if values and median else None,
        "runs": values,
    }


def _purge_cycle(
    conn: psycopg.Connection, dataset: Dataset, purgers: dict[str, Callable[[], int]], readers: Workers | None
) -> dict:
    cycle: dict = {"readers": readers.count if readers else 0, "sides": {}}
    dataset.mark("purging")  # so --keep rebuilds a data set whose reserve a stopped run left purged
    for side, purger in purgers.items():
        cycle["sides"][side] = _purge_once(conn, side, purger, readers)
    vacuum_analyze(conn)
    cycle["after_vacuum"] = _sizes(conn)
    cycle["reserve_restored"] = dataset.restore_reserve()
    dataset.mark("ready")
    cycle["after_refill"] = _sizes(conn)
    return cycle


def _reads_between(readers: Workers, side: str, work: Callable[[], object]) -> tuple[object, int, int, dict | None]:
    """Readers page through typical inboxes on ``side`` while ``work`` runs; the calls that
    started and ended inside it are summarised."""
    readers.start(("until_stop", "inbox.first.typical", side, 7))
    time.sleep(1.0)  # let every reader pass the barrier and warm up
    started = time.monotonic_ns()
    try:
        outcome = work()
    finally:
        ended = time.monotonic_ns()
        readers.stop.set()
        timed = [pair for reply in readers.collect() for pair in reply]
    reads = summarize([took for at, took in timed if started <= at and at + took <= ended], readers.count)
    return outcome, started, ended, reads


def _purge_once(conn: psycopg.Connection, side: str, purger: Callable[[], int], readers: Workers | None) -> dict:
    table = f"{side}.notifications"
    before = _table_state(conn, table)
    conn.execute("CHECKPOINT")  # untimed: every purge starts with no dirty pages to write out
    idle = None
    if readers is not None:
        _, _, _, idle = _reads_between(readers, side, lambda: time.sleep(READER_IDLE_SECONDS))
        deleted, started, ended, reads = _reads_between(readers, side, purger)
    else:
        started = time.monotonic_ns()
        deleted = purger()
        ended = time.monotonic_ns()
        reads = None
    seconds = (ended - started) / 1e9
    return {
        "deleted": deleted,
        "seconds": seconds,
        "rows_per_s": deleted / seconds if seconds > 0 else None,
        "inbox_idle": idle,
        "inbox_during_purge": reads,
        "before": before,
        "after": _table_state(conn, table),
    }


def _purge_notifydb(conn: psycopg.Connection, cutoff_now) -> int:
    row = conn.execute("CALL notifydb.purge_notifications(p_deleted => NULL, p_now => %s)", (cutoff_now,)).fetchone()
    return int(row[0] or 0)


def _purge_seed(conn: psycopg.Connection, cutoff_now) -> int:
    """The loop a team would write for the reference schema: batched DELETE, one commit per batch."""
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


# -- mixed load -----------------------------------------------------------------------------------


def mixed(
    session: Session,
    dataset: Dataset,
    dsn: str,
    redis_url: str | None,
    sample: Sample,
    mixed_seconds: float,
    mixed_clients: int,
    seed: int,
    **_: object,
) -> dict:
    """Client processes doing a production-like mix for a while, on each schema in turn.

    Users are drawn in proportion to their inbox size (the Zipf-Mandelbrot law of
    bench/zipf.py): the users with the most notifications are the most active.
    What the load changes is put back afterwards: its new rows deleted, the rows
    it marked read marked unread again (from a list of every unread row taken
    before), derived state rebuilt, VACUUM ANALYZE and a CHECKPOINT, so the second
    side starts from the same data set as the first and the run ends as it began.
    """
    conn = session.conn
    dataset.mark("mixed")  # a run stopped here leaves changed inboxes: --keep then rebuilds
    conn.execute("DROP TABLE IF EXISTS bench_meta.mixed_unread")
    conn.execute(
        "CREATE UNLOGGED TABLE bench_meta.mixed_unread AS SELECT tenant_id, user_id, id "
        "FROM notifydb.notifications WHERE NOT is_read AND user_id IS NOT NULL AND tenant_id <> %s",
        (WRITER_TENANT,),
    )
    conn.execute("CREATE INDEX ON bench_meta.mixed_unread (tenant_id, user_id)")
    sides: dict[str, dict] = {}
    try:
        for side in ("notifydb", "seed"):
            conn.execute("CHECKPOINT")
            clients = Workers(mixed_clients, dsn, redis_url, sample)
            try:
                replies = clients.run(("mixed", side, mixed_seconds, seed))
            finally:
                clients.close()
            sides[side] = _mixed_summary(replies)
            touched = sorted({tuple(inbox) for reply in replies for inbox in reply["touched"]})
            sides[side]["restored"] = _undo_mixed(conn, side, touched)
    finally:
        conn.execute("DROP TABLE IF EXISTS bench_meta.mixed_unread")
        vacuum_analyze(conn)
        conn.execute("CHECKPOINT")
        dataset.mark("ready")
    mine, theirs = sides["notifydb"], sides["seed"]
    ratio = mine["ops_per_s"] / theirs["ops_per_s"] if theirs["ops_per_s"] else None
    checks = [
        {
            "target": f"throughput ≥ {MIXED_THROUGHPUT:g}x hand-written SQL",
            "measured": ratio,
            "shown": "-" if ratio is None else f"{ratio:.2f}x",
            "met": ratio is not None and ratio >= MIXED_THROUGHPUT,
        },
        {
            "target": "p99 ≤ hand-written SQL's p99",
            "measured": mine["all"]["p99_ms"] if mine["all"] else None,
            "shown": f"{_p99(mine['all'])} vs {_p99(theirs['all'])} ms",
            "met": bool(mine["all"] and theirs["all"] and mine["all"]["p99_ms"] is not None)
            and theirs["all"]["p99_ms"] is not None
            and mine["all"]["p99_ms"] <= theirs["all"]["p99_ms"],
        },
    ]
    return {
        "clients": mixed_clients,
        "seconds": mixed_seconds,
        "mix": dict(MIX),
        "sides": sides,
        "checks": checks,
        "target": "; ".join(check["target"] for check in checks),
        "met": all(check["met"] for check in checks),
    }


def _p99(summary: dict | None) -> str:
    return "-" if not summary or summary["p99_ms"] is None else f"{summary['p99_ms']:.3f}"


def _mixed_summary(replies: list[dict]) -> dict:
    kinds = [kind for kind, _ in MIX]
    per_kind = {kind: [took for reply in replies for took in reply["calls"][kind]] for kind in kinds}
    every = [took for values in per_kind.values() for took in values]
    wall = (max(reply["ended"] for reply in replies) - min(reply["started"] for reply in replies)) / 1e9
    return {
        "calls": len(every),
        "wall_seconds": wall,
        "ops_per_s": len(every) / wall if wall > 0 else 0.0,
        "all": summarize(every),
        "by_kind": {kind: summarize(values) for kind, values in per_kind.items()},
        "mark_read_fell_back_to_page": sum(reply["fallbacks"] for reply in replies),
    }


def _undo_mixed(conn: psycopg.Connection, side: str, touched: list[tuple]) -> dict:
    """Delete the rows the load created and mark unread again the rows it marked read.

    notifydb's mark_all_read may only raise the inbox's read horizon, so its undo is
    notifydb.mark_unread for each inbox the load touched (as the single-call
    operations restore theirs); a plain UPDATE then puts back anything hidden."""
    deleted = conn.execute(f"DELETE FROM {side}.notifications WHERE type = 'BENCH_MIXED'").rowcount
    unread = 0
    if side == "notifydb" and touched:
        unread = conn.execute(
            """SELECT coalesce(sum(notifydb.mark_unread(u.tenant_id, u.user_id, u.ids)), 0) FROM (
                   SELECT m.tenant_id, m.user_id, array_agg(m.id) AS ids
                   FROM bench_meta.mixed_unread AS m
                   JOIN unnest(%s::uuid[], %s::uuid[]) AS t (tenant_id, user_id) USING (tenant_id, user_id)
                   GROUP BY m.tenant_id, m.user_id) AS u""",
            ([inbox[0] for inbox in touched], [inbox[1] for inbox in touched]),
        ).fetchone()[0]
    unread += conn.execute(
        f"UPDATE {side}.notifications AS n SET is_read = false, read_at = NULL "
        "FROM bench_meta.mixed_unread AS u WHERE n.id = u.id AND n.is_read"
    ).rowcount
    if side == "notifydb":
        rebuild_derived_state(conn)
    vacuum_analyze(conn)
    return {"created_rows_deleted": deleted, "marked_unread_again": int(unread), "inboxes_touched": len(touched)}


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
    Scenario("purge", "retention purge, repeated runs, and beside readers", ("purge_notifications",), purge),
    Scenario(
        "mixed",
        "mixed load: inbox pages and counts, creates, mark read, mark all read",
        ("list_notifications", "unread_count", "create_notification", "mark_read", "mark_all_read"),
        mixed,
    ),
)


def missing(scenario: Scenario, env: Environment) -> list[str]:
    return [f"notifydb.{name}()" for name in scenario.requires if name not in env.functions]
