"""Delivery figures: 4 relays claiming and completing 10,000 jobs, and the outbox's cost on a create.

    python bench/delivery_throughput.py --dsn postgresql://postgres@127.0.0.1/<migrated scratch db>

Run it as a superuser on a migrated scratch database: it inserts notifications
directly (as create_notification would) and truncates them afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

import psycopg

from notifydb import Client, Relay

INSERT_ONE = """INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel)
VALUES (%s, gen_random_uuid(), 'BENCH', 'title', 'message', %s)"""


def _relay_process(dsn: str, batch_size: int, ready, go, done) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        relay = Relay(Client(conn), lambda jobs: [job.job_id for job in jobs], batch_size=batch_size)
        ready.release()
        go.wait()
        done.put(relay.run(once=True).completed)


def relay_throughput(dsn: str, jobs: int, relays: int, batch_size: int) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            """INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, channel)
               SELECT gen_random_uuid(), gen_random_uuid(), 'BENCH', 't', 'm', 'email'
               FROM generate_series(1, %s)""",
            (jobs,),
        )
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("VACUUM ANALYZE notifydb.delivery_outbox")
    ctx = multiprocessing.get_context("spawn")
    ready, go, done = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=_relay_process, args=(dsn, batch_size, ready, go, done)) for _ in range(relays)]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    completed = sum(done.get() for _ in processes)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    assert completed == jobs, f"completed {completed} of {jobs}"
    conn.execute("TRUNCATE notifydb.notifications CASCADE")
    return jobs / elapsed


def insert_latency(dsn: str, rounds: int) -> dict[str, float]:
    """Median milliseconds of one committed single-row insert per channel.

    The channels alternate, so load from elsewhere on the server hits both alike.
    """
    samples: dict[str, list[float]] = {"in_app": [], "email": []}
    with psycopg.connect(dsn, autocommit=True) as conn:
        tenant = conn.execute("SELECT gen_random_uuid()").fetchone()[0]
        for _ in range(rounds):
            for channel, timings in samples.items():
                started = time.perf_counter()
                conn.execute(INSERT_ONE, (tenant, channel), prepare=True)
                timings.append(time.perf_counter() - started)
        conn.execute("TRUNCATE notifydb.notifications CASCADE")
    return {channel: statistics.median(timings) * 1000 for channel, timings in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--relays", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.rounds):
        rate = relay_throughput(args.dsn, args.jobs, args.relays, args.batch_size)
        print(f"claim+complete {args.jobs} jobs, {args.relays} relays, batch {args.batch_size}: {rate:,.0f} jobs/s")
    for _ in range(args.rounds):
        latency = insert_latency(args.dsn, 3000)
        in_app, email = latency["in_app"], latency["email"]
        print(f"insert one notification: in_app {in_app:.3f} ms, email {email:.3f} ms, ratio {email / in_app:.2f}")


if __name__ == "__main__":
    main()
