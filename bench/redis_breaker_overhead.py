"""What the Redis circuit breaker costs a healthy call: p50 of the rate-limit check and of a
cached unread count (a hit), with the package at a commit before the breaker and as it is
now, against a local redis-server, in alternating rounds of one run.

    python3 bench/redis_breaker_overhead.py --before 36ba4e3 [--url redis://127.0.0.1:6379/15]

Each round runs each side in a fresh process, before then after (the package imported from a `git archive` of
the commit, or from this work tree), warms up, then times every call. The keys it makes
start with "notifydb-overhead:" (and one unread count) and are deleted at the end; a hit needs no Postgres, so none
is used. Not a test: the figures go in reports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "notifydb-overhead"
IDENTITIES = 50_000


def measure(url: str, calls: int) -> dict[str, float]:
    """p50 in microseconds of a GET (the floor), a limiter check and a cache hit."""
    from psycopg_pool import ConnectionPool

    import notifydb
    from notifydb.ratelimit import connect
    from notifydb.unread_cache import inbox_keys

    client = connect(url, timeout=1.0)
    limiter = notifydb.RateLimiter(client, secret=b"notifydb-bench")
    policy = notifydb.Policy(name=f"{PREFIX}:verification-email", limit=10, window_seconds=86400, on_redis_error="open")
    pool = ConnectionPool("", open=False)  # a hit never reads Postgres
    cache = notifydb.UnreadCountCache(notifydb.Client(pool), client, ttl_seconds=3600)
    tenant, user = uuid.uuid4(), uuid.uuid4()
    client.set(inbox_keys(tenant, user).count, 7, ex=3600)
    client.set(f"{PREFIX}:floor", "1", ex=3600)
    identities = [f"user{i}@example.com" for i in range(IDENTITIES)]
    ops = {
        "redis.get (floor)": lambda i: client.get(f"{PREFIX}:floor"),
        "redis.rate_limit": lambda i: limiter.check(policy, identities[i % IDENTITIES]),
        "redis.cached_count": lambda i: cache.get(tenant, user),
    }
    p50 = {}
    for name, op in ops.items():
        for i in range(calls // 10):
            op(i)
        times = []
        for i in range(calls):
            started = time.perf_counter_ns()
            op(i)
            times.append(time.perf_counter_ns() - started)
        p50[name] = statistics.median(times) / 1000
    assert cache.get(tenant, user) == 7
    client.delete(inbox_keys(tenant, user).count)
    if hasattr(limiter, "breaker"):  # what a closed breaker adds to a call, without Redis
        circuit = limiter.breaker.circuit_for(f"{PREFIX}:floor")
        started = time.perf_counter_ns()
        for _ in range(calls * 10):
            circuit.answered(limiter.breaker.circuit_for(f"{PREFIX}:floor").enter())
        p50["breaker (no Redis)"] = (time.perf_counter_ns() - started) / (calls * 10) / 1000
    return p50


def export(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", commit, "notifydb"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="a commit without the breaker (required)")
    parser.add_argument("--url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=5_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.url, args.calls)))
        return
    if not args.before:
        parser.error("--before is required")
    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="notifydb-overhead-") as directory:
        sides = {"before": export(args.before, Path(directory)), "after": ROOT}
        for round_ in range(args.rounds):
            for side, path in sides.items():
                env = {**os.environ, "PYTHONPATH": str(path)}
                command = [sys.executable, __file__, "--measure", "--url", args.url, "--calls", str(args.calls)]
                output = subprocess.run(command, env=env, capture_output=True, text=True, cwd=path)
                if output.returncode:
                    sys.exit(f"{side} failed:\n{output.stderr}")
                results[side].append(json.loads(output.stdout))
                print(f"round {round_ + 1} {side:6}", json.dumps(results[side][-1]), flush=True)
    import redis

    with redis.Redis.from_url(args.url) as client:
        for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
            client.delete(key)
    print(f"\np50 in µs, median over {args.rounds} rounds of {args.calls} calls; difference: median of the rounds'")
    for op in results["before"][0]:
        before = statistics.median(r[op] for r in results["before"])
        after = statistics.median(r[op] for r in results["after"])
        paired = statistics.median(a[op] - b[op] for a, b in zip(results["after"], results["before"], strict=True))
        print(f"  {op:20} before {before:7.1f}  after {after:7.1f}  difference {paired:+6.1f}")
    breaker = statistics.median(r["breaker (no Redis)"] for r in results["after"])
    print(f"  a closed breaker alone (circuit_for + enter + answered, no Redis): {breaker:.2f} µs a call")


if __name__ == "__main__":
    main()
