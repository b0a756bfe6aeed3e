"""Latency measurements: one client (interleaved rounds) and many clients (one operation at a time)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from random import Random

import psycopg

from bench.ops import Operation
from bench.sample import Sample
from bench.session import Bound, Session
from bench.stats import summarize
from bench.workers import WorkerError, Workers

Pair = tuple[Operation, str]  # an operation and one of its sides


@dataclass(frozen=True)
class Plan:
    rounds: int = 10
    iterations: int = 100  # per operation and round, single client
    heavy_iterations: int = 1
    client_iterations: int = 200  # per client process
    heavy_client_iterations: int = 2
    clients: int = 8

    def per_round(self, op: Operation) -> int:
        return self.heavy_iterations if op.heavy else self.iterations

    def per_client(self, op: Operation) -> int:
        return self.heavy_client_iterations if op.heavy else self.client_iterations


class Outcome:
    """Figures per operation and side, and why a side produced none."""

    def __init__(self) -> None:
        self.figures: dict[str, dict[str, dict | None]] = defaultdict(dict)
        self.failures: dict[str, dict[str, str]] = defaultdict(dict)

    def as_dict(self) -> dict:
        return {"figures": dict(self.figures), "failures": {name: dict(sides) for name, sides in self.failures.items()}}


def wal_summary(per_call: list[int]) -> dict:
    """WAL bytes per call: the median (what targets judge) and the mean (which includes the
    occasional full-page image after a checkpoint, and what other backends wrote meanwhile)."""
    return {"wal_bytes_p50": statistics.median(per_call), "wal_bytes_mean": statistics.fmean(per_call)}


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def single_client(session: Session, sample: Sample, pairs: list[Pair], plan: Plan, seed: int) -> Outcome:
    """Rounds in which every call of every pair comes in a fresh random order, so drift hits
    all operations alike and each call follows a random other one, as the floor's calls do."""
    outcome = Outcome()
    rng = Random(seed)
    bound: dict[tuple[str, str], tuple[Operation, Bound]] = {}
    for op, side in pairs:
        try:
            runner = Bound(op, side, session, sample, wal=op.writes)
            for _ in range(min(plan.per_round(op), 3)):  # warm-up: plans, caches, connections
                runner.once(rng)
            bound[(op.name, side)] = (op, runner)
        except (psycopg.Error, LookupError) as exc:
            outcome.failures[op.name][side] = first_line(exc)
    samples: dict[tuple[str, str], list[int]] = defaultdict(list)
    wal: dict[tuple[str, str], list[int]] = defaultdict(list)
    for _ in range(plan.rounds):
        calls = [key for key, (op, _runner) in bound.items() for _ in range(plan.per_round(op))]
        rng.shuffle(calls)
        for key in calls:
            if key not in bound:  # failed earlier in this round
                continue
            try:
                runner = bound[key][1]
                samples[key].append(runner.once(rng))
                if runner.last_wal is not None:
                    wal[key].append(runner.last_wal)
            except (psycopg.Error, LookupError) as exc:
                outcome.failures[key[0]][key[1]] = first_line(exc)
                del bound[key]
    for name, side in bound:
        outcome.figures[name][side] = summarize(samples[(name, side)])
        if wal[(name, side)] and outcome.figures[name][side]:
            outcome.figures[name][side] |= wal_summary(wal[(name, side)])
    return outcome


def many_clients(workers: Workers, pairs: list[Pair], plan: Plan, seed: int) -> Outcome:
    """Every client runs the same operation at once, started together at a barrier."""
    outcome = Outcome()
    for number, (op, side) in enumerate(pairs):
        try:
            replies = workers.run(("measure", op.name, side, plan.per_client(op), seed + number))
        except WorkerError as exc:
            outcome.failures[op.name][side] = str(exc).strip().splitlines()[-1]
            continue
        outcome.figures[op.name][side] = summarize([value for reply in replies for value in reply], workers.count)
    return outcome
