"""`migrate`: apply pending versioned scripts, then changed repeatable ones, in one transaction."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from notifydb.migrations import MigrateOptions, MigrationError, Migrator
from notifydb.migrations.scripts import default_root
from notifydb.migrations.status import EXIT_CODES


def add_migration_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scripts-dir",
        type=Path,
        default=None,
        help="folder holding schema/, functions/, retention/ and triggers/ (default: the ones shipped with notifydb)",
    )


def migrator_from_args(args: argparse.Namespace, options: MigrateOptions | None = None) -> Migrator:
    return Migrator(args.dsn, args.scripts_dir or default_root(), options)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "migrate",
        parents=[common],
        help="apply pending versioned scripts, then changed repeatable ones, in one transaction",
    )
    add_migration_options(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=MigrateOptions.lock_wait,
        help="seconds to wait for another migrate run to finish (default %(default)s)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=MigrateOptions.lock_timeout_ms / 1000,
        help="seconds a statement may wait for a table lock before it is retried (default %(default)s)",
    )
    parser.add_argument(
        "--lock-retries",
        type=int,
        default=MigrateOptions.lock_retries,
        help="how often a transaction that hit the lock timeout is retried, with backoff (default %(default)s)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    options = MigrateOptions(
        lock_wait=args.lock_wait,
        lock_timeout_ms=max(1, round(args.lock_timeout * 1000)),
        lock_retries=args.lock_retries,
    )
    migrator = migrator_from_args(args, options)
    if args.dry_run:
        return _print_plan(migrator)
    try:
        steps = migrator.migrate()
    except MigrationError as exc:
        print(f"notifydb migrate: {exc}", file=sys.stderr)
        return exc.exit_code
    applied = sum(1 for step in steps if step.script)
    removed = len(steps) - applied
    if not steps:
        print("migrate: already up to date")
    else:
        print(f"migrate: applied {applied} script(s)" + (f", removed {removed}" if removed else ""))
    return 0


def _print_plan(migrator: Migrator) -> int:
    """The plan in the order migrate would follow, and the exit code migrate
    would have: 4 when applied scripts drifted, 1 when a grant is missing."""
    report, steps, refusal = migrator.preview()
    drift = report.with_state("modified", "missing")
    for state in drift:
        print(f"refuse  {state.script}: {state.state}")
    if refusal:
        print(f"refuse  {refusal}")
    if not steps:
        print("dry run: nothing to apply")
    for step, drops in steps:
        script = step.script
        why = "was deleted" if script is None else "no longer defines it"
        for identity in drops:
            print(f"would drop  {identity}  ({step.name} {why})")
        if script is None:
            print(f"would record  {step.name}  removed")
        else:
            mode = "transactional" if script.transactional else "non-transactional"
            print(f"would apply  {script.name}  {script.kind}  sha256:{script.checksum}  {mode}")
    if drift:
        return EXIT_CODES["modified"]
    return 1 if refusal else 0
