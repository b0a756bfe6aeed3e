"""`schedule`: install or update the pg_cron job that runs `CALL notifydb.run_retention()`.

pg_cron lives in one database of the cluster (`cron.database_name`). When that
is the --dsn database, the job is made with cron.schedule; otherwise this
connects to the cron database (--cron-dsn, default: the same server and user,
that database) and uses cron.schedule_in_database. Both upsert by job name
for the scheduling user, so running this again leaves one job and a new
--schedule updates it. The job runs as the user that scheduled it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import make_conninfo

from notifydb.connection import error_line

DEFAULT_JOB_NAME = "notifydb-retention"
DEFAULT_SCHEDULE = "0 * * * *"
COMMAND = "CALL notifydb.run_retention()"


# From the catalogs: to_regprocedure() fails without USAGE on the schema.
RUN_RETENTION_EXISTS = """
SELECT EXISTS (
    SELECT FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = 'notifydb' AND p.proname = 'run_retention' AND p.pronargs = 0
)
"""


class ScheduleError(Exception):
    """Something the DBA must fix first; the message says what."""


class DatabaseError(Exception):
    """A psycopg error, with the DSN of the database it came from (the --dsn one or pg_cron's)."""

    def __init__(self, dsn: str, error: psycopg.Error) -> None:
        super().__init__(str(error))
        self.dsn = dsn
        self.error = error


@contextmanager
def _connect(dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection whose errors, connecting included, name `dsn`."""
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            yield conn
    except psycopg.Error as exc:
        raise DatabaseError(dsn, exc) from exc


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "schedule",
        parents=[common],
        help="install or update the pg_cron job that runs retention",
        description=f"Installs or updates a pg_cron job that runs `{COMMAND}` in the --dsn database.",
    )
    parser.add_argument(
        "--schedule",
        default=DEFAULT_SCHEDULE,
        metavar="CRON",
        help="cron expression, or @hourly, @daily, @reboot (default: hourly, %(default)r)",
    )
    parser.add_argument("--job-name", default=DEFAULT_JOB_NAME, help="pg_cron job name (default %(default)s)")
    parser.add_argument(
        "--cron-dsn",
        help="the database pg_cron lives in, when it is not the --dsn one (default: same server, cron.database_name)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        job_id, database, user = schedule(args.dsn, args.cron_dsn, args.job_name, args.schedule)
    except ScheduleError as exc:
        print(f"notifydb schedule: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(error_line(exc.dsn, exc.error), file=sys.stderr)
        return 1
    print(f"scheduled pg_cron job {args.job_name!r} (jobid {job_id}): {args.schedule!r} {COMMAND}")
    print(f"  runs in database {database!r} as {user!r}")
    return 0


def schedule(dsn: str, cron_dsn: str | None, job_name: str, cron_schedule: str) -> tuple[int, str, str]:
    """Upsert the job; returns (jobid, target database, user the job runs as)."""
    with _connect(dsn) as conn:
        (database,) = conn.execute("SELECT pg_catalog.current_database()").fetchone()
        if not conn.execute(RUN_RETENTION_EXISTS).fetchone()[0]:
            raise ScheduleError(f"notifydb.run_retention() does not exist in {database!r}: run `migrate` first")
        if cron_dsn is None and _has_pg_cron(conn):
            return _upsert(conn, conn, database, job_name, cron_schedule, same_database=True)
        cron_dsn = cron_dsn or make_conninfo(dsn, dbname=_cron_database(conn))
        with _connect(cron_dsn) as cron_conn:
            if not _has_pg_cron(cron_conn):
                (cron_db,) = cron_conn.execute("SELECT pg_catalog.current_database()").fetchone()
                raise ScheduleError(
                    f"the pg_cron extension is not installed in {cron_db!r}:"
                    " run CREATE EXTENSION pg_cron there (the database named by cron.database_name)"
                )
            (cron_db,) = cron_conn.execute("SELECT pg_catalog.current_database()").fetchone()
            return _upsert(conn, cron_conn, database, job_name, cron_schedule, same_database=cron_db == database)


def _has_pg_cron(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')").fetchone()[0]


def _cron_database(conn: psycopg.Connection) -> str:
    """cron.database_name; pg_cron defines it only when preloaded, and only privileged roles may read it."""
    try:
        (name,) = conn.execute("SELECT pg_catalog.current_setting('cron.database_name', true)").fetchone()
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ScheduleError(
            "cannot read cron.database_name (superuser or pg_read_all_settings only): pass --cron-dsn"
        ) from exc
    if name is None:
        raise ScheduleError(
            "pg_cron is not loaded: add pg_cron to shared_preload_libraries, set cron.database_name,"
            " restart the server and CREATE EXTENSION pg_cron in that database"
        )
    return name


def _upsert(
    conn: psycopg.Connection,
    cron_conn: psycopg.Connection,
    database: str,
    job_name: str,
    cron_schedule: str,
    same_database: bool,
) -> tuple[int, str, str]:
    (user,) = cron_conn.execute("SELECT current_user").fetchone()
    allowed = conn.execute(
        "SELECT pg_catalog.has_schema_privilege(%(user)s, 'notifydb', 'USAGE')"
        " AND pg_catalog.has_function_privilege(%(user)s, 'notifydb.run_retention()', 'EXECUTE')",
        {"user": user},
    ).fetchone()[0]
    if not allowed:
        raise ScheduleError(
            f"the job would run as {user!r}, which may not CALL notifydb.run_retention():"
            f" GRANT notifydb_retention TO {user};"
        )
    if same_database:
        (job_id,) = cron_conn.execute("SELECT cron.schedule(%s, %s, %s)", (job_name, cron_schedule, COMMAND)).fetchone()
    else:
        (job_id,) = cron_conn.execute(
            "SELECT cron.schedule_in_database(%s, %s, %s, %s)", (job_name, cron_schedule, COMMAND, database)
        ).fetchone()
    return job_id, database, user
