"""`doctor`: check a notifydb database and say what is wrong and what to do, one line each."""

from __future__ import annotations

import argparse
import json

import psycopg

from notifydb import doctor
from notifydb.commands.migrate import add_migration_options
from notifydb.connection import describe_target
from notifydb.migrations.scripts import default_root


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "doctor",
        parents=[common],
        help="check a database: server, settings, pgTAP, pg_cron, migrations, counters, retention, outbox, bloat",
        description=(
            "Prints one line per finding: ok, info, warning or problem, what was found and what to do."
            " Exit codes: 0 healthy (warnings allowed), 1 cannot connect, 3 problems (with --strict, also"
            " warnings). Recounting the inbox counters reads every notification once. Connect as a"
            " superuser or a member of notifydb_owner to run every check."
        ),
    )
    add_migration_options(parser)
    parser.add_argument("--strict", action="store_true", help="fail (exit 3) on warnings too")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # A connection error reaches the CLI's handler: one line, as for migrate.
    with psycopg.connect(args.dsn, autocommit=True, application_name="notifydb doctor") as conn:
        target = doctor.Target(conn, args.dsn, args.scripts_dir or default_root())
        findings = doctor.diagnose(target)
    code = doctor.exit_code(findings, args.strict)
    problems = sum(f.level == "problem" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    database = describe_target(args.dsn)
    if args.json:
        report = {"database": database, "problems": problems, "warnings": warnings, "exit_code": code}
        print(json.dumps({**report, "findings": doctor.as_dict(findings)}, indent=2))
        return code
    width = max(len(f.check) for f in findings)
    for finding in findings:
        print(f"{finding.level:<8} {finding.check:<{width}}  {finding.message}")
    print(f"doctor: {database}: {problems} problem(s), {warnings} warning(s)")
    return code
