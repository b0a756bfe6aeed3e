"""`notifydb` / `python runner.py`: one subcommand per module in notifydb.commands."""

from __future__ import annotations

import argparse
import sys

import psycopg

from notifydb.commands import bench, doctor, migrate, ratelimit, relay, retention, schedule, status, test
from notifydb.connection import error_line, resolve_dsn
from notifydb.migrations import MigrationError
from notifydb.migrations.scripts import ScriptLayoutError

COMMANDS = (migrate, status, doctor, retention, schedule, relay, test, ratelimit, bench)


def build_parser(commands: tuple = COMMANDS) -> argparse.ArgumentParser:
    """One subcommand per module (or object) with register(subparsers, common)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dsn",
        help="database to use (default: NOTIFYDB_DSN, then DATABASE_URL, then libpq's PG* variables)",
    )
    parser = argparse.ArgumentParser(prog="notifydb", description="notifydb schema runner and tools")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        command.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None, commands: tuple = COMMANDS) -> int:
    """`commands`: runner.py swaps in the checkout's `test` and `bench` for the installed ones."""
    parser = build_parser(commands)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    args.dsn_given = getattr(args, "dsn", None)  # bench: without --dsn it starts a server of its own
    args.dsn = resolve_dsn(args.dsn_given)
    try:
        return args.run(args)
    except psycopg.Error as exc:
        # Unreachable server, failed authentication, malformed DSN, missing
        # privilege: what a DBA fixes from one line, so no traceback.
        print(error_line(args.dsn, exc), file=sys.stderr)
        return 1
    except MigrationError as exc:
        print(f"notifydb: {exc}", file=sys.stderr)
        return exc.exit_code
    except ScriptLayoutError as exc:
        print(f"notifydb: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
