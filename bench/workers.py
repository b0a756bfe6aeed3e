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
from random import Random

from bench.ops import BY_NAME
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


_TASKS = {"measure": _measure, "until_stop": _until_stop, "relay": _relay}
