"""What `doctor` checks in a notifydb database: each check returns findings,
one line each, saying what is wrong and what to do.

A *problem* makes the command fail: an unsupported server, autovacuum off,
notifydb not migrated or migrations pending, counters that disagree with a
recount, rows due for deletion for more than a day. A *warning* is something
to look at that may be deliberate (retention scheduled outside pg_cron, an
outbox nobody drains, dead rows piling up, a check this role may not run); it
fails the command only with --strict. *ok* and *info* lines say what was found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import psycopg
from psycopg.conninfo import make_conninfo

from notifydb.migrations import citus, history
from notifydb.migrations.scripts import discover_scripts
from notifydb.migrations.status import compare

Level = Literal["ok", "info", "warning", "problem"]

SUPPORTED_MAJORS = range(15, 19)
# Rows due for longer than this mean retention is not running (it runs hourly by default).
RETENTION_LATE = timedelta(days=1)
# A pg_cron retention job whose last success is older than this is not doing its work.
CRON_SUCCESS_MAX_AGE = timedelta(days=1)
# A job claimable for longer than this: no relay is draining the outbox.
OUTBOX_MAX_WAIT = timedelta(hours=1)
# Autovacuum starts once a table's dead rows pass 50 + 20 % of its live ones (the
# defaults). Dead rows over 20 % of all rows, and 1000 or more, are past that:
# autovacuum is not keeping up, or a long transaction keeps it from removing them.
DEAD_RATIO = 0.2
DEAD_MIN_ROWS = 1000


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    message: str


@dataclass(frozen=True)
class Target:
    """What the checks look at: an autocommit connection, its DSN (to reach pg_cron's
    database) and the scripts the migrations are compared with."""

    conn: psycopg.Connection
    dsn: str
    scripts_root: Path

    def one(self, query: str, params=None) -> tuple:
        return self.conn.execute(query, params).fetchone()

    def all(self, query: str, params=None) -> list[tuple]:
        return self.conn.execute(query, params).fetchall()


def _ago(moment: datetime, now: datetime) -> str:
    """A duration in the unit that reads best: 45 s, 12 min, 5 h, 3 days."""
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size * (2 if unit == "days" else 1):
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def version_finding(version_num: int, version: str) -> Finding:
    """Supported means one of the majors the suite runs on (15 to 18)."""
    major = version_num // 10000
    supported = f"{SUPPORTED_MAJORS.start} to {SUPPORTED_MAJORS.stop - 1}"
    if major in SUPPORTED_MAJORS:
        return Finding("server", "ok", f"PostgreSQL {version}: supported ({supported})")
    return Finding("server", "problem", f"PostgreSQL {version} is not supported: notifydb runs on {supported}")


def check_server(target: Target) -> list[Finding]:
    num, version = target.one(
        "SELECT current_setting('server_version_num')::integer, current_setting('server_version')"
    )
    return [version_finding(num, version)]


def check_settings(target: Target) -> list[Finding]:
    """Autovacuum keeps the outbox, the counters and the notifications from bloating; it needs track_counts."""
    findings = []
    autovacuum, track_counts = target.one("SELECT current_setting('autovacuum'), current_setting('track_counts')")
    harm = {
        "autovacuum": (autovacuum, "dead rows pile up in the outbox, the counters and the notifications"),
        "track_counts": (track_counts, "autovacuum cannot tell which tables need it"),
    }
    for name, (value, why) in harm.items():
        if value != "on":
            message = f"{name} is off: {why}; set {name} = on (postgresql.conf or ALTER SYSTEM) and reload"
            findings.append(Finding("settings", "problem", message))
    for (table,) in target.all(
        """
        SELECT c.relname FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        CROSS JOIN LATERAL pg_catalog.pg_options_to_table(c.reloptions) AS o
        WHERE n.nspname = 'notifydb' AND c.relkind IN ('r', 'p')
            AND o.option_name = 'autovacuum_enabled' AND NOT o.option_value::boolean
        ORDER BY c.relname
        """
    ):
        findings.append(
            Finding(
                "settings",
                "problem",
                f"autovacuum is off for notifydb.{table}: ALTER TABLE notifydb.{table} RESET (autovacuum_enabled);",
            )
        )
    return findings or [Finding("settings", "ok", "autovacuum and track_counts on, and on for every notifydb table")]


def check_pgtap(target: Target) -> list[Finding]:
    installed, available = target.one(
        "SELECT (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgtap'),"
        " EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pgtap')"
    )
    if installed:
        return [Finding("pgtap", "ok", f"pgTAP {installed} installed: pg_prove can run tests/pgtap here")]
    where = "in this database: CREATE EXTENSION pgtap" if available else "on this server"
    return [Finding("pgtap", "info", f"pgTAP is not installed {where} (only the pgTAP tests need it)")]


# The retention jobs of one database, each with its latest finished run and latest success.
CRON_JOBS = """
SELECT j.jobid, j.jobname, j.schedule, j.active, last.status, last.end_time, last.return_message,
    (SELECT max(s.end_time) FROM cron.job_run_details AS s WHERE s.jobid = j.jobid AND s.status = 'succeeded')
FROM cron.job AS j
LEFT JOIN LATERAL (
    SELECT r.status, r.end_time, r.return_message FROM cron.job_run_details AS r
    WHERE r.jobid = j.jobid AND r.status IN ('succeeded', 'failed')
    ORDER BY r.runid DESC LIMIT 1
) AS last ON TRUE
WHERE j.database = %s AND j.command ILIKE '%%notifydb.run_retention%%'
ORDER BY j.jobid
"""


def _has_pg_cron(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')").fetchone()[0]


def check_pg_cron(target: Target) -> list[Finding]:
    """Whether pg_cron runs notifydb.run_retention() for this database, and how its latest run went.

    pg_cron lives in one database of the cluster (cron.database_name): this one, or
    another that the job names this one from; that one is read with the same DSN.
    """
    (database,) = target.one("SELECT current_database()")
    if _has_pg_cron(target.conn):
        return _retention_jobs(target.conn, database)
    try:
        (cron_database,) = target.one("SELECT current_setting('cron.database_name', true)")
    except psycopg.errors.InsufficientPrivilege:
        return [
            Finding(
                "pg_cron",
                "warning",
                "cannot tell whether pg_cron schedules retention: cron.database_name is readable only by"
                " superusers and pg_read_all_settings",
            )
        ]
    if cron_database is None:
        (available,) = target.one("SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_cron')")
        state = "not loaded (shared_preload_libraries)" if available else "not installed"
        return [
            Finding(
                "pg_cron",
                "warning",
                f"pg_cron is {state} on this server, so it does not schedule retention: run `notifydb retention`"
                " from cron or a Kubernetes CronJob, or set up pg_cron and run `notifydb schedule`",
            )
        ]
    try:
        with psycopg.connect(make_conninfo(target.dsn, dbname=cron_database), autocommit=True) as cron_conn:
            if not _has_pg_cron(cron_conn):
                return [
                    Finding(
                        "pg_cron",
                        "warning",
                        f"pg_cron is loaded but not created in its database {cron_database}:"
                        " CREATE EXTENSION pg_cron there, then run `notifydb schedule`",
                    )
                ]
            return _retention_jobs(cron_conn, database)
    except psycopg.OperationalError as exc:
        message = str(exc).strip().splitlines()[-1]
        return [Finding("pg_cron", "warning", f"cannot read pg_cron's database {cron_database}: {message}")]


def _retention_jobs(cron_conn: psycopg.Connection, database: str) -> list[Finding]:
    jobs = cron_conn.execute(CRON_JOBS, (database,)).fetchall()
    if not jobs:
        (superuser,) = cron_conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        mine = "" if superuser else " of this role (pg_cron shows a role only its own)"
        return [
            Finding(
                "pg_cron",
                "warning",
                f"no pg_cron job{mine} runs notifydb.run_retention() in database {database}: run `notifydb schedule`",
            )
        ]
    (now,) = cron_conn.execute("SELECT now()").fetchone()
    return [_retention_job(now, *job) for job in jobs]


def _retention_job(now, jobid, name, schedule, active, status, ended, message, succeeded) -> Finding:
    job = f"pg_cron job {name!r} ({schedule})"
    if not active:
        return Finding("pg_cron", "warning", f"{job} is inactive: SELECT cron.alter_job({jobid}, active => true);")
    if status is None:
        return Finding("pg_cron", "info", f"{job} has no finished run in cron.job_run_details yet")
    if status == "failed":
        return Finding("pg_cron", "warning", f"{job} failed {_ago(ended, now)} ago: {message}")
    if now - succeeded > CRON_SUCCESS_MAX_AGE:
        return Finding("pg_cron", "warning", f"{job} last succeeded {_ago(succeeded, now)} ago")
    return Finding("pg_cron", "ok", f"{job} last succeeded {_ago(succeeded, now)} ago")


def check_migrations(target: Target) -> list[Finding]:
    rows = history.read(target.conn)
    if not rows:
        return [Finding("migrations", "problem", "notifydb is not installed in this database: run `notifydb migrate`")]
    report = compare(discover_scripts(target.scripts_root, citus.present(target.conn)), rows)
    if report.up_to_date:
        return [Finding("migrations", "ok", f"up to date ({len(report.scripts)} scripts applied)")]
    counts: dict[str, int] = {}
    for state in report.scripts:
        if state.state != "applied":
            counts[state.state] = counts.get(state.state, 0) + 1
    summary = ", ".join(f"{count} {state}" for state, count in counts.items())
    if report.with_state("modified", "missing"):
        todo = "`notifydb status` lists them; restore the applied versioned scripts, then `notifydb migrate`"
    else:
        todo = "run `notifydb migrate` (`notifydb status` lists them)"
    return [Finding("migrations", "problem", f"not up to date ({summary}): {todo}")]


def check_counters(target: Target) -> list[Finding]:
    (drifted,) = target.one("SELECT count(*) FROM notifydb._inbox_counter_drift()")
    if drifted:
        return [
            Finding(
                "counters",
                "problem",
                f"{drifted} inboxes' unread or unseen counters differ from a recount (triggers bypassed?):"
                " SELECT notifydb._rebuild_inbox_counters();",
            )
        ]
    return [Finding("counters", "ok", "every inbox's counters agree with a recount")]


def check_retention(target: Target) -> list[Finding]:
    """Rows due now are normal between runs; rows that were already due a day ago are not."""
    due, notifications, events = target.one(
        "SELECT d.notifications + d.events, l.notifications, l.events"
        " FROM notifydb._retention_due_counts(now()) AS d, notifydb._retention_due_counts(now() - %s) AS l",
        (RETENTION_LATE,),
    )
    if notifications or events:
        return [
            Finding(
                "retention",
                "problem",
                f"{notifications} notifications and {events} events have been due for deletion for more than a"
                " day: retention is not running; run `notifydb retention`, then schedule it (`notifydb schedule`)",
            )
        ]
    if due:
        return [Finding("retention", "ok", f"{due} rows due for less than a day (the next retention run deletes them)")]
    return [Finding("retention", "ok", "no rows due for deletion")]


def check_outbox(target: Target) -> list[Finding]:
    jobs, due, oldest_created, longest_due, now = target.one(
        """
        SELECT count(*), count(*) FILTER (WHERE available_at <= now()), min(created_at),
            min(available_at) FILTER (WHERE available_at <= now()), now()
        FROM notifydb.delivery_outbox
        """
    )
    if not jobs:
        return [Finding("outbox", "ok", "the delivery outbox is empty")]
    backlog = f"{jobs} delivery jobs, {due} claimable; the oldest was written {_ago(oldest_created, now)} ago"
    if longest_due is not None and now - longest_due > OUTBOX_MAX_WAIT:
        return [
            Finding(
                "outbox",
                "warning",
                f"{backlog}, and one has been claimable for {_ago(longest_due, now)}: is `notifydb relay` running?",
            )
        ]
    return [Finding("outbox", "ok", backlog)]


def check_dead_tuples(target: Target) -> list[Finding]:
    rows = target.all(
        """
        SELECT relname, n_live_tup, n_dead_tup, greatest(last_vacuum, last_autovacuum), now()
        FROM pg_catalog.pg_stat_user_tables WHERE schemaname = 'notifydb' ORDER BY relname
        """
    )
    findings, ratios = [], []
    for table, live, dead, vacuumed, now in rows:
        ratio = dead / (live + dead) if live + dead else 0.0
        ratios.append(f"{table} {ratio:.0%}")
        if ratio > DEAD_RATIO and dead >= DEAD_MIN_ROWS:
            when = f"last vacuumed {_ago(vacuumed, now)} ago" if vacuumed else "never vacuumed"
            findings.append(
                Finding(
                    "dead tuples",
                    "warning",
                    f"notifydb.{table}: {ratio:.0%} of its rows are dead ({dead} of {live + dead}, {when}):"
                    f" VACUUM (ANALYZE) notifydb.{table}; if it comes back, look for long transactions",
                )
            )
    return findings or [Finding("dead tuples", "ok", ", ".join(ratios))]


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[Target], list[Finding]]
    needs_notifydb: bool  # skipped in a database notifydb was never migrated into
    role: str | None  # the notifydb role whose members may run it (None: anyone)


CHECKS = (
    Check("server", check_server, False, None),
    Check("settings", check_settings, False, None),
    Check("pgtap", check_pgtap, False, None),
    Check("pg_cron", check_pg_cron, False, None),
    Check("migrations", check_migrations, False, "notifydb_owner"),
    Check("counters", check_counters, True, "notifydb_owner"),
    Check("retention", check_retention, True, "notifydb_retention"),
    Check("outbox", check_outbox, True, "notifydb_owner"),
    Check("dead tuples", check_dead_tuples, True, None),
)


def _migrated(target: Target) -> bool:
    """From the catalogs, which need no privilege on the schema."""
    return target.one(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_class AS c"
        " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'notifydb' AND c.relname = 'schema_history')"
    )[0]


def diagnose(target: Target) -> list[Finding]:
    """Every check's findings, in order. A check that fails on the server (a
    missing privilege, a function an older migration lacks) becomes a warning
    that says why; only a lost connection ends the run."""
    migrated = _migrated(target)
    findings: list[Finding] = []
    for check in CHECKS:
        if check.needs_notifydb and not migrated:
            continue  # the migrations check says to migrate
        try:
            findings += check.run(target)
        except psycopg.Error as exc:
            if target.conn.broken:
                raise
            findings.append(_could_not_check(check, exc))
    return findings


def _could_not_check(check: Check, exc: psycopg.Error) -> Finding:
    message = exc.diag.message_primary or str(exc).strip()
    if isinstance(exc, psycopg.errors.InsufficientPrivilege) and check.role:
        message += f": connect as a superuser or a member of {check.role}"
    return Finding(check.name, "warning", f"could not check: {message}")


def exit_code(findings: list[Finding], strict: bool) -> int:
    """0 healthy, 3 with problems (or, with --strict, warnings)."""
    failing = ("problem", "warning") if strict else ("problem",)
    return 3 if any(f.level in failing for f in findings) else 0


def as_dict(findings: list[Finding]) -> list[dict]:
    return [asdict(f) for f in findings]
