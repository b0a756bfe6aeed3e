"""`relay`: drain the delivery outbox to a handler, acking only what it accepted."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta

import psycopg

from notifydb.client import Client
from notifydb.connection import role_needed_line
from notifydb.relay import Relay
from notifydb.relay_handlers import ExecHandler, StdoutHandler, describe_jobs, describe_with_content

log = logging.getLogger("notifydb.relay")

# An --exec command is killed at this share of the lease, so its batch is
# retried before the lease runs out and another relay could claim it.
EXEC_TIMEOUT_SHARE = 0.9

# `relay --once` when the handler rejected jobs: the run did not deliver everything that was due.
EXIT_REJECTED = 3


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "relay",
        parents=[common],
        help="drain the delivery outbox to a handler",
        description=(
            "Claims SEND_NOTIFICATION jobs in batches and hands each batch to a handler: JSON lines on "
            "stdout (every job written is accepted), or --exec CMD, which gets the batch as JSON lines on "
            "stdin (exit 0 completes the batch, anything else retries it). SIGTERM/SIGINT stop it after "
            "the batch in hand is acknowledged. Connect as a role granted notifydb_delivery. Exit 0 when done;"
            f" with --once, {EXIT_REJECTED} when the handler rejected jobs (they are retried after --retry-delay)."
        ),
    )
    parser.add_argument("--exec", dest="command", metavar="CMD", help="shell command to pipe each batch to")
    parser.add_argument("--batch-size", type=int, default=100, help="jobs per claim, 1..1000 (default %(default)s)")
    parser.add_argument(
        "--lease", type=_positive_float, default=300.0, help="seconds a claim is held (default %(default)s)"
    )
    parser.add_argument(
        "--retry-delay",
        type=float,
        default=60.0,
        help="seconds before a rejected job may be claimed again (default %(default)s)",
    )
    parser.add_argument(
        "--with-content",
        action="store_true",
        help="add each notification's type, title, message, data, created_at, expires_at and deleted_at",
    )
    parser.add_argument("--once", action="store_true", help="exit when nothing is due instead of waiting")
    parser.add_argument(
        "--idle-sleep", type=float, default=1.0, help="seconds to wait when nothing is due (default %(default)s)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="relay: %(message)s")
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        client = Client(conn)
        describe = describe_with_content(client) if args.with_content else describe_jobs
        handler = (
            ExecHandler(args.command, timeout=args.lease * EXEC_TIMEOUT_SHARE, describe=describe)
            if args.command
            else StdoutHandler(describe=describe)
        )
        relay = Relay(
            client,
            handler,
            batch_size=args.batch_size,
            lease=timedelta(seconds=args.lease),
            retry_delay=timedelta(seconds=args.retry_delay),
            idle_sleep=args.idle_sleep,
        )
        relay.install_signal_handlers()
        # Said once SIGTERM is handled, so a supervisor (or a test) knows it may stop the relay cleanly.
        log.info("draining the outbox in batches of %d, lease %g s", args.batch_size, args.lease)
        try:
            stats = relay.run(once=args.once)
        except psycopg.errors.InsufficientPrivilege:
            print(role_needed_line(args.dsn, conn.info.user, "the relay", "notifydb_delivery"), file=sys.stderr)
            return 1
    log.info("claimed %d, completed %d, retried %d", stats.claimed, stats.completed, stats.retried)
    if args.once and stats.rejected:
        log.info("the handler rejected %d job(s): exit %d", stats.rejected, EXIT_REJECTED)
        return EXIT_REJECTED
    return 0
