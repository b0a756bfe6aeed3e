"""`retention`: run the purge procedures for schedulers without pg_cron (cron, systemd, Kubernetes)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg

from notifydb import retention
from notifydb.connection import role_needed_line


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "retention",
        parents=[common],
        help="purge expired and old notifications and events, batch by batch",
        description=(
            "Deletes what notifydb.retention_policy says is due, in committed batches, printing a line per"
            " batch and a summary. Exit 0 when done or skipped (another run holds the lock, or a hot"
            " standby), 1 on failure."
        ),
    )
    parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    parser.add_argument(
        "--batch-size", type=int, default=5000, help="rows per committed batch, 1..100000 (default %(default)s)"
    )
    parser.add_argument(
        "--export-events",
        type=Path,
        metavar="FILE",
        help="first write the events about to be purged to FILE as JSON lines (fsynced before any delete)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # A server it cannot reach, or a database error, is one line from the CLI, as for every command.
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: print(f"notice: {notice.message_primary}", file=sys.stderr))
        try:
            return _dry_run(conn) if args.dry_run else _purge(conn, args)
        except retention.RetentionSkipped as exc:
            print(f"retention: skipped: {exc}")
            return 0
        except psycopg.errors.InsufficientPrivilege:
            print(role_needed_line(args.dsn, conn.info.user, "retention", "notifydb_retention"), file=sys.stderr)
            return 1
        except OSError as exc:  # the --export-events file
            print(f"notifydb retention: failed: {exc}", file=sys.stderr)
            return 1


def _dry_run(conn: psycopg.Connection) -> int:
    started = time.monotonic()
    (now,) = conn.execute("SELECT pg_catalog.now()").fetchone()
    counts = retention.due_counts(conn, now)
    for table, rows in counts.items():
        print(f"would delete {rows} {table}")
    print(f"dry run as of {now.isoformat()}: nothing deleted ({time.monotonic() - started:.2f} s)")
    return 0


def _purge(conn: psycopg.Connection, args: argparse.Namespace) -> int:
    def progress(batch: retention.Batch) -> None:
        rate = batch.total / batch.elapsed if batch.elapsed > 0 else 0.0
        print(
            f"{batch.table}: batch {batch.number}: {batch.rows} rows ({batch.total} so far, {rate:,.0f} rows/s)",
            flush=True,
        )

    result = retention.run_retention(conn, args.batch_size, args.export_events, progress)
    if result.exported_events is not None:
        print(f"exported {result.exported_events} events to {args.export_events}")
    for table, rows in result.deleted.items():
        print(f"deleted {rows} {table}")
    print(f"retention as of {result.now.isoformat()} done in {result.elapsed:.2f} s")
    return 0
