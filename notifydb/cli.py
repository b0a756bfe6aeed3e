"""`notifydb` / `python runner.py`: one subcommand per module in notifydb.commands."""

from __future__ import annotations

import argparse
import sys

import psycopg

from notifydb.commands import bench, doctor, migrate, ratelimit, relay, retention, schedule, status, test
from notifydb.connection import describe_target, resolve_dsn
from notifydb.migrations import MigrationError
from notifydb.migrations.scripts import ScriptLayoutError

COMMANDS = (migrate, status, doctor, retention, schedule, relay, test, ratelimit, bench)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dsn",
        help="database to use (default: NOTIFYDB_DSN, then DATABASE_URL, then libpq's PG* variables)",
    )
    parser = argparse.ArgumentParser(prog="notifydb", description="notifydb schema runner and tools")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    args.dsn = resolve_dsn(getattr(args, "dsn", None))
    try:
        return args.run(args)
    except psycopg.Error as exc:
        # Unreachable server, failed authentication, malformed DSN, missing
        # privilege: what a DBA fixes from one line, so no traceback.
        print(f"notifydb: {describe_target(args.dsn)}: {_first_line(exc)}", file=sys.stderr)
        return 1
    except MigrationError as exc:
        print(f"notifydb: {exc}", file=sys.stderr)
        return exc.exit_code
    except ScriptLayoutError as exc:
        print(f"notifydb: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
