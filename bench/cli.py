"""The benchmark's command line: `python -m bench` from a source checkout (also `python runner.py bench`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg

from notifydb.connection import error_line, resolve_dsn

DESCRIPTION = (
    "Builds the benchmark data set and measures notifydb against a baseline: the reference schema of the"
    " notifications design guide notifydb grew from (two tables, five indexes) queried with hand-written SQL."
    " Without --dsn it starts a throwaway server of its own with the settings in bench/postgresql.conf;"
    " --dsn names a server of yours instead (NOTIFYDB_DSN and DATABASE_URL are not used here)."
    " The data set goes into a database of its own. See bench/README.md."
    " `--citus` runs another scenario instead: notifydb on a Citus cluster against one node (bench/citus.py)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db-name", default="notifydb_bench", help="the bench database (default %(default)s)")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 5M notifications, 1M events; 0.1 for a quick run")
    parser.add_argument(
        "--keep", action="store_true", help="reuse the bench database when built with the same parameters"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="Redis for the Redis operations")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default bench/results/)")
    parser.add_argument("--rounds", type=int, default=10, help="single-client rounds (default %(default)s)")
    parser.add_argument("--iterations", type=int, default=100, help="per operation and round (default %(default)s)")
    parser.add_argument(
        "--heavy-iterations", type=int, default=1, help="per round for costly writes (default %(default)s)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes (default %(default)s)")
    parser.add_argument("--client-iterations", type=int, default=200, help="per client process (default %(default)s)")
    parser.add_argument("--fan-out-users", type=int, default=10_000, help="fan-out size (default %(default)s)")
    parser.add_argument("--fan-out-repeats", type=int, default=5, help="fan-out runs per way (default %(default)s)")
    parser.add_argument("--outbox-jobs", type=int, default=10_000, help="jobs for the relay run (default %(default)s)")
    parser.add_argument(
        "--shared-buffers", default=None, help="own server only: instead of a quarter of RAM (e.g. 2GB)"
    )
    parser.add_argument("--mixed-seconds", type=float, default=60.0, help="mixed load per side (default %(default)s)")
    parser.add_argument(
        "--mixed-clients", type=int, default=8, help="mixed-load client processes (default %(default)s)"
    )
    parser.add_argument("--purge-runs", type=int, default=5, help="purge runs per side (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def register(subparsers, common: argparse.ArgumentParser) -> None:
    """`python runner.py bench`: the same options as `python -m bench`."""
    parser = subparsers.add_parser(
        "bench",
        parents=[common],
        help="build the benchmark data set and measure notifydb against a hand-written-SQL baseline",
        description=DESCRIPTION,
    )
    add_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the measuring code needs the [bench] extra (matplotlib, tqdm).
    from bench.dataset import DatasetError
    from bench.main import DEFAULT_RESULTS, Config
    from bench.main import run as run_bench
    from bench.measure import Plan
    from bench.server import ServerError

    config = Config(
        dsn=args.dsn_given,
        db_name=args.db_name,
        scale=args.scale,
        keep=args.keep,
        redis_url=args.redis_url or None,
        out_dir=args.out or DEFAULT_RESULTS,
        plan=Plan(
            rounds=args.rounds,
            iterations=args.iterations,
            heavy_iterations=args.heavy_iterations,
            client_iterations=args.client_iterations,
            heavy_client_iterations=max(1, args.heavy_iterations * 2),
            clients=args.clients,
        ),
        fan_out_users=args.fan_out_users,
        fan_out_repeats=args.fan_out_repeats,
        outbox_jobs=args.outbox_jobs,
        quiet=args.quiet,
        shared_buffers=args.shared_buffers,
        mixed_seconds=args.mixed_seconds,
        mixed_clients=args.mixed_clients,
        purge_runs=args.purge_runs,
    )
    try:
        result = run_bench(config)
    except (DatasetError, ServerError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    for path in result["files"]:
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--citus" in argv:
        # Its own scenario, with options of its own: bench/citus.py.
        from bench.citus import main as citus_main

        return citus_main(argv)
    parser = argparse.ArgumentParser(prog="python -m bench", description=DESCRIPTION)
    parser.add_argument(
        "--dsn", help="a server of yours (any database on it); default: a throwaway server of the bench's own"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.dsn_given = args.dsn  # without --dsn the bench starts a server of its own
    args.dsn = resolve_dsn(args.dsn)
    try:
        return run(args)
    except psycopg.Error as exc:
        print(error_line(args.dsn, exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
