"""Client processes for the concurrent measurements.

Processes, not threads: with 2 cores and 8 clients, threads would queue on the
GIL for every row conversion and timer read, so the figures would measure the
interpreter. Each process has its own connection and its own share of the
sample (disjoint inboxes and events), and all start together at a barrier.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections import deque
from itertools import accumulate
from random import Random

from bench.ops import BY_NAME, SEED_COUNT, SEED_LIST, SEED_VISIBLE
from bench.sample import Sample
from bench.session import Bound, Session


class WorkerError(Exception):
    """A client process failed; the message carries its traceback."""


class Workers:
    def __init__(self, count: int, dsn: str, redis_url: str | None, sample: Sample) -> None:
        context = multiprocessing.get_context("spawn")
        self.count = count
        self.barrier = context.Barrier(count)
        self.stop = context.Event()
        self.results = context.Queue()
        self.inboxes = [context.Queue() for _ in range(count)]
        self.processes = [
            context.Process(
                target=_serve,
                args=(index, dsn, redis_url, sample.part(index, count), inbox, self.results, self.barrier, self.stop),
                daemon=True,
            )
            for index, inbox in enumerate(self.inboxes)
        ]
        for process in self.processes:
            process.start()

    def start(self, task: tuple) -> None:
        # Every client is idle here, so a barrier broken by an earlier failure can be reset.
        self.barrier.reset()
        self.stop.clear()
        for inbox in self.inboxes:
            inbox.put(task)

    def collect(self) -> list:
        replies = sorted((self.results.get() for _ in range(self.count)), key=lambda reply: reply[1])
        errors = [reply[2] for reply in replies if reply[0] == "error"]
        if errors:
            raise WorkerError(errors[0])
        return [reply[2] for reply in replies]

    def run(self, task: tuple) -> list:
        self.start(task)
        return self.collect()

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()


def _serve(index, dsn, redis_url, sample, inbox, results, barrier, stop) -> None:
    session = Session(dsn, redis_url)
    try:
        while (task := inbox.get()) is not None:
            try:
                results.put(("ok", index, _TASKS[task[0]](session, sample, barrier, stop, *task[1:])))
            except Exception:
                barrier.abort()  # never leave the others waiting for a client that failed
                results.put(("error", index, traceback.format_exc()))
    finally:
        session.close()


def _measure(session, sample, barrier, _stop, op_name: str, side_name: str, iterations: int, seed: int) -> list[int]:
    bound = Bound(BY_NAME[op_name], side_name, session, sample)
    rng = Random(seed)
    for _ in range(min(iterations, 3)):
        bound.once(rng)
    barrier.wait()
    return [bound.once(rng) for _ in range(iterations)]


def _until_stop(session, sample, barrier, stop, op_name: str, side_name: str, seed: int) -> list[tuple[int, int]]:
    """(when it started, how long it took) for each call, until told to stop."""
    bound = Bound(BY_NAME[op_name], side_name, session, sample)
    rng = Random(seed)
    bound.once(rng)
    barrier.wait()
    timed = []
    while not stop.is_set():
        timed.append((time.monotonic_ns(), bound.once(rng)))
    return timed


def _relay(session, _sample, barrier, _stop, batch: int) -> tuple[int, int, int]:
    """Claim and complete until nothing is left: (jobs completed, start, end)."""
    conn = session.conn
    barrier.wait()
    started = time.monotonic_ns()
    done = 0
    while True:
        ids = [row[0] for row in conn.execute("SELECT job_id FROM notifydb.claim_deliveries(%s)", (batch,))]
        if not ids:
            return done, started, time.monotonic_ns()
        done += conn.execute("SELECT notifydb.complete_deliveries(%s)", (ids,)).fetchone()[0]


# The mixed load's calls, one statement per kind and side. The reference schema's side is the
# SQL an application would write by hand (the same statements as the single-call operations).
MIXED_SQL = {
    "notifydb": {
        "page": "SELECT * FROM notifydb.list_notifications(%(tenant)s, %(user)s)",
        "count": "SELECT notifydb.unread_count(%(tenant)s, %(user)s)",
        "create": (
            "SELECT notifydb.create_notification(%(tenant)s, %(user)s, 'BENCH_MIXED', 'Bench notification', "
            "'Created by the mixed load.', 'in_app')"
        ),
        "mark_read": "SELECT notifydb.mark_read(%(tenant)s, %(user)s, %(ids)s)",
        "mark_all_read": "SELECT notifydb.mark_all_read(%(tenant)s, %(user)s)",
    },
    "seed": {
        "page": f"{SEED_LIST} AND {SEED_VISIBLE} ORDER BY created_at DESC LIMIT 20",
        "count": SEED_COUNT,
        "create": (
            "INSERT INTO seed.notifications (user_id, tenant_id, type, title, message, channel) "
            "VALUES (%(user)s, %(tenant)s, 'BENCH_MIXED', 'Bench notification', 'Created by the mixed load.', "
            "'in_app') RETURNING id"
        ),
        "mark_read": (
            "UPDATE seed.notifications SET is_read = true, read_at = now() "
            "WHERE id = ANY(%(ids)s) AND user_id = %(user)s AND tenant_id = %(tenant)s AND is_read = false"
        ),
        "mark_all_read": (
            "UPDATE seed.notifications SET is_read = true, read_at = now() "
            "WHERE user_id = %(user)s AND tenant_id = %(tenant)s AND is_read = false"
        ),
    },
}
SEEN_UNREAD = 1000  # unread rows from recent pages that mark_read picks from


def _mixed(session, _sample, barrier, _stop, side: str, seconds: float, seed: int) -> dict:
    """The mix of bench.scenarios.MIX for ``seconds``; users drawn in proportion to their inbox
    size. mark_read marks an unread row the client saw on a recent page, as a user would; with
    none seen yet it lists a page instead (counted as a page)."""
    from bench.scenarios import MIX

    conn = session.conn
    users = conn.execute(
        "SELECT tenant_id, user_id, n_rows FROM bench_meta.recipients WHERE user_id IS NOT NULL ORDER BY recipient_no"
    ).fetchall()
    user_weights = list(accumulate(row[2] for row in users))
    kinds = [kind for kind, _ in MIX]
    kind_weights = list(accumulate(share for _, share in MIX))
    statements = MIXED_SQL[side]
    rng = Random(seed * 1000 + session.backend_pid)
    cursor = conn.cursor()
    seen: deque[tuple] = deque(maxlen=SEEN_UNREAD)
    calls: dict[str, list[int]] = {kind: [] for kind in kinds}
    fallbacks = 0
    touched: set[tuple] = set()  # inboxes whose read state the load changed
    barrier.wait()
    started = time.monotonic_ns()
    deadline = started + int(seconds * 1e9)
    while time.monotonic_ns() < deadline:
        kind = rng.choices(kinds, cum_weights=kind_weights)[0]
        tenant, user, _rows = rng.choices(users, cum_weights=user_weights)[0]
        params = {"tenant": tenant, "user": user}
        if kind == "mark_read":
            if seen:
                tenant, user, row_id = seen.pop()
                params = {"tenant": tenant, "user": user, "ids": [row_id]}
            else:
                kind, fallbacks = "page", fallbacks + 1
        if kind in ("mark_read", "mark_all_read"):
            touched.add((params["tenant"], params["user"]))
        began = time.perf_counter_ns()
        cursor.execute(statements[kind], params, prepare=True)
        calls[kind].append(time.perf_counter_ns() - began)
        if kind == "page":
            names = [column.name for column in cursor.description]
            id_at, read_at = names.index("id"), names.index("is_read")
            seen.extend((tenant, user, row[id_at]) for row in cursor.fetchall() if not row[read_at])
    ended = time.monotonic_ns()
    return {"calls": calls, "started": started, "ended": ended, "fallbacks": fallbacks, "touched": sorted(touched)}


_TASKS = {"measure": _measure, "until_stop": _until_stop, "relay": _relay, "mixed": _mixed}
