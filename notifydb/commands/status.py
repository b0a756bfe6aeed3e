"""`status`: what is applied, pending, modified, failed or removed (exit 0 only when up to date)."""

from __future__ import annotations

import argparse
import json

from notifydb.commands.migrate import add_migration_options, migrator_from_args


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "status",
        parents=[common],
        help="show applied, pending, modified, failed and removed scripts",
        description="Exit codes: 0 up to date, 3 pending or removed (repeatable scripts deleted from disk,"
        " whose objects migrate drops), 4 modified or missing, 5 failed.",
    )
    add_migration_options(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = migrator_from_args(args).status()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"database {report.database}")
        for state in report.scripts:
            print(f"{state.state:<9} {state.kind:<10} {state.script}")
        print("up to date" if report.up_to_date else "not up to date")
    return report.exit_code
