"""`migrate`: apply pending versioned scripts, then changed repeatable ones."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from notifydb.migrations import MigrateOptions, MigrationError, Migrator
from notifydb.migrations.migrator import plan
from notifydb.migrations.scripts import default_root
from notifydb.migrations.status import EXIT_CODES


def add_migration_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scripts-dir",
        type=Path,
        default=None,
        help="folder holding schema/, functions/ and retention/ (default: the ones shipped with notifydb)",
    )


def migrator_from_args(args: argparse.Namespace, options: MigrateOptions | None = None) -> Migrator:
    return Migrator(args.dsn, args.scripts_dir or default_root(), options)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "migrate", parents=[common], help="apply pending versioned scripts, then changed repeatable ones"
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
        help="how often a script that hit the lock timeout is retried, with backoff (default %(default)s)",
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
        applied = migrator.migrate()
    except MigrationError as exc:
        print(f"notifydb migrate: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"migrate: applied {len(applied)} script(s)" if applied else "migrate: already up to date")
    return 0


def _print_plan(migrator: Migrator) -> int:
    """The plan, and exit 4 (as migrate would) when applied scripts drifted."""
    scripts, report = migrator.inspect()
    drift = report.with_state("modified", "missing")
    for state in drift:
        print(f"refuse  {state.script}: {state.state}")
    to_apply = plan(scripts, report)
    if not to_apply:
        print("dry run: nothing to apply")
    for script in to_apply:
        mode = "transactional" if script.transactional else "non-transactional"
        print(f"would apply  {script.name}  {script.kind}  sha256:{script.checksum}  {mode}")
    return EXIT_CODES["modified"] if drift else 0
