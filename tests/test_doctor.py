"""`runner.py doctor`: a healthy database passes, and each problem or warning is
found, said in one line with what to do, and sets the exit code.

The checks read server settings (autovacuum) and pg_cron's state, so the
tests run on a cluster of their own whose settings they fix, not on the shared
server (which may run with autovacuum on or off): each test gets its own copy
of a migrated template database there.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from notifydb.doctor import version_finding
from notifydb.migrations.scripts import discover_scripts
from tests.retention_support import add_notification
from tests.support.cli import PROJECT_ROOT, run_cli
from tests.support.cluster import LocalCluster
from tests.support.postgres_server import migrated
from tests.support.roles import login_role
from tests.support.scripts_copy import add_versioned, copy_scripts
from tests.test_retention_cron import prepare_notifydb, wait_for_job_run

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000d1")
USER = uuid.UUID("00000000-0000-0000-0000-0000000000d2")
TEMPLATE = "notifydb_doctor_template"
# What a healthy database on a cluster without pg_cron says, check by check.
HEALTHY = {
    "server": "ok",
    "settings": "ok",
    "pgtap": "info",
    "pg_cron": "warning",
    "migrations": "ok",
    "counters": "ok",
    "retention": "ok",
    "outbox": "ok",
    "dead tuples": "ok",
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """autovacuum on whatever the defaults; no pg_cron loaded; a migrated template database."""
    cluster = LocalCluster(settings={"autovacuum": "on", "track_counts": "on"}).start()
    try:
        with connect(cluster.dsn()) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        migrated(cluster.dsn(TEMPLATE))
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def dsn(cluster: LocalCluster) -> str:
    """A migrated database of this test's own."""
    name = f"doctor_{uuid.uuid4().hex[:10]}"
    with connect(cluster.dsn()) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(TEMPLATE)))
    return cluster.dsn(name)


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True)


def doctor(dsn: str, *args: str) -> tuple[int, dict[str, str], dict[str, list[str]]]:
    """Exit code, each check's worst level, and each check's messages (from --json)."""
    result = run_cli("doctor", "--dsn", dsn, "--json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    order = ["ok", "info", "warning", "problem"]
    levels: dict[str, str] = {}
    messages: dict[str, list[str]] = {}
    for finding in report["findings"]:
        check, level = finding["check"], finding["level"]
        levels[check] = max(levels.get(check, "ok"), level, key=order.index)
        messages.setdefault(check, []).append(finding["message"])
    assert report["exit_code"] == result.returncode
    return result.returncode, levels, messages


def create_notification(dsn: str, channel: str = "in_app") -> None:
    with connect(dsn) as conn:
        conn.execute(
            "SELECT notifydb.create_notification(%s, %s, 'WELCOME', 'Hello', 'First', p_channel => %s)",
            (TENANT, USER, channel),
        )


def test_a_healthy_database_passes_with_one_line_per_finding(dsn):
    create_notification(dsn)

    code, levels, messages = doctor(dsn)

    assert code == 0
    assert levels == HEALTHY
    assert messages["migrations"] == [f"up to date ({len(discover_scripts(PROJECT_ROOT))} scripts applied)"]
    assert "so it does not schedule retention" in messages["pg_cron"][0]
    text = run_cli("doctor", "--dsn", dsn)
    assert text.returncode == 0
    lines = text.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == list(HEALTHY.values())
    assert lines[-1].endswith(": 0 problem(s), 1 warning(s)")


def test_strict_fails_on_warnings(dsn):
    code, levels, _ = doctor(dsn, "--strict")
    assert levels == HEALTHY
    assert code == 3, "the pg_cron warning fails it"


def test_a_database_notifydb_was_never_migrated_into(cluster):
    with connect(cluster.dsn()) as conn:
        conn.execute("CREATE DATABASE doctor_empty")

    code, levels, messages = doctor(cluster.dsn("doctor_empty"))

    assert code == 3
    assert messages["migrations"] == ["notifydb is not installed in this database: run `notifydb migrate`"]
    assert not {"counters", "retention", "outbox", "dead tuples"} & levels.keys()


def test_pending_migrations_are_a_problem(dsn, tmp_path):
    scripts = copy_scripts(tmp_path)
    add_versioned(scripts, "add_table", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.extra (x int);\n")

    code, levels, messages = doctor(dsn, "--scripts-dir", str(scripts))

    assert code == 3 and levels["migrations"] == "problem"
    assert messages["migrations"] == [
        "not up to date (1 pending): run `notifydb migrate` (`notifydb status` lists them)"
    ]


def test_counter_drift_is_a_problem_until_rebuilt(dsn):
    create_notification(dsn)
    with connect(dsn) as conn:
        conn.execute("UPDATE notifydb.inbox_counters SET unread = unread + 3")  # what a bypassed trigger leaves

    code, levels, messages = doctor(dsn)

    assert code == 3 and levels["counters"] == "problem"
    assert messages["counters"] == [
        "1 inboxes' unread or unseen counters differ from a recount (triggers bypassed?):"
        " SELECT notifydb._rebuild_inbox_counters();"
    ]
    with connect(dsn) as conn:
        conn.execute("SELECT notifydb._rebuild_inbox_counters()")
    assert doctor(dsn)[1]["counters"] == "ok"


def test_rows_due_for_more_than_a_day_are_a_problem(dsn):
    with connect(dsn) as conn:
        add_notification(conn, "due for two hours", "90 days 2 hours")  # the default maximum age is 90 days

    code, levels, messages = doctor(dsn)
    assert code == 0 and levels["retention"] == "ok"
    assert messages["retention"] == ["1 rows due for less than a day (the next retention run deletes them)"]

    with connect(dsn) as conn:
        add_notification(conn, "due for ten days", "100 days")
    code, levels, messages = doctor(dsn)
    assert code == 3 and levels["retention"] == "problem"
    assert messages["retention"][0].startswith(
        "1 notifications and 0 events have been due for deletion for more than a day: retention is not running"
    )


def test_a_job_claimable_for_over_an_hour_is_a_warning(dsn):
    create_notification(dsn, channel="email")
    code, levels, messages = doctor(dsn)
    assert code == 0 and levels["outbox"] == "ok"
    assert re.fullmatch(r"1 delivery jobs, 1 claimable; the oldest was written \d+ s ago", messages["outbox"][0])

    with connect(dsn) as conn:
        conn.execute(
            "UPDATE notifydb.delivery_outbox SET created_at = now() - interval '3 hours',"
            " available_at = now() - interval '2 hours'"
        )
    code, levels, messages = doctor(dsn)
    assert code == 0 and levels["outbox"] == "warning"
    assert messages["outbox"] == [
        "1 delivery jobs, 1 claimable; the oldest was written 3 h ago, and one has been claimable for 2 h:"
        " is `notifydb relay` running?"
    ]
    assert doctor(dsn, "--strict")[0] == 3


def test_a_table_mostly_of_dead_rows_is_a_warning(dsn):
    with connect(dsn) as snapshot, connect(dsn) as conn:
        # An open snapshot from before the delete: no vacuum can remove the
        # deleted rows while the test looks, however eager autovacuum is.
        snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT 1")
        conn.execute(
            "INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message)"
            " SELECT %s, gen_random_uuid(), 'TEST', 'title', 'message' FROM generate_series(1, 3000)",
            (TENANT,),
        )
        conn.execute(
            "DELETE FROM notifydb.notifications WHERE ctid IN (SELECT ctid FROM notifydb.notifications LIMIT 2000)"
        )
        # The statistics are flushed before this call returns, so the doctor's session reads them.
        conn.execute("SELECT pg_stat_force_next_flush()")

        code, levels, messages = doctor(dsn)

    assert code == 0 and levels["dead tuples"] == "warning"
    assert (
        "notifydb.notifications: 67% of its rows are dead (2000 of 3000, never vacuumed):"
        " VACUUM (ANALYZE) notifydb.notifications; if it comes back, look for long transactions"
    ) in messages["dead tuples"]


def test_autovacuum_off_for_a_notifydb_table_is_a_problem(dsn):
    with connect(dsn) as conn:
        conn.execute("ALTER TABLE notifydb.delivery_outbox SET (autovacuum_enabled = off)")

    code, levels, messages = doctor(dsn)

    assert code == 3 and levels["settings"] == "problem"
    assert messages["settings"] == [
        "autovacuum is off for notifydb.delivery_outbox:"
        " ALTER TABLE notifydb.delivery_outbox RESET (autovacuum_enabled);"
    ]


def test_autovacuum_off_on_the_server_is_a_problem():
    cluster = LocalCluster(settings={"autovacuum": "off"}).start()
    try:
        code, levels, messages = doctor(migrated(cluster.dsn()))
    finally:
        cluster.stop()
    assert code == 3 and levels["settings"] == "problem"
    assert messages["settings"] == [
        "autovacuum is off: dead rows pile up in the outbox, the counters and the notifications;"
        " set autovacuum = on (postgresql.conf or ALTER SYSTEM) and reload"
    ]


@pytest.mark.parametrize(("version_num", "version"), [(140011, "14.11"), (190000, "19devel")])
def test_a_server_outside_15_to_18_is_a_problem(version_num, version):
    assert version_finding(version_num, version).level == "problem"
    assert version_finding(version_num, version).message == (
        f"PostgreSQL {version} is not supported: notifydb runs on 15 to 18"
    )


@pytest.mark.parametrize("version_num", [150000, 160004, 170011, 180006])
def test_15_to_18_are_supported(version_num):
    assert version_finding(version_num, "x").level == "ok"


def test_checks_a_role_may_not_run_are_warnings_naming_the_role(dsn):
    with login_role(dsn, "notifydb_retention") as as_retention:
        code, levels, messages = doctor(as_retention)
        strict = doctor(as_retention, "--strict")[0]

    assert code == 0 and strict == 3
    assert levels["retention"] == "ok"
    assert messages["migrations"] == [
        "could not check: permission denied for table schema_history:"
        " connect as a superuser or a member of notifydb_owner"
    ]
    assert messages["counters"] == [
        "could not check: permission denied for function _inbox_counter_drift:"
        " connect as a superuser or a member of notifydb_owner"
    ]


def test_a_server_it_cannot_reach_is_one_line():
    result = run_cli("doctor", "--dsn", "postgresql://nobody@127.0.0.1:1/nowhere")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("notifydb: 127.0.0.1:1/nowhere as nobody: ")


@pytest.mark.needs_pg_cron
def test_scheduled_retention_is_found_in_pg_crons_database_and_its_last_run_read():
    """pg_cron in the database `postgres`, notifydb in another: doctor reads the job from there."""
    cluster = LocalCluster(
        settings={"autovacuum": "on", "shared_preload_libraries": "pg_cron", "cron.database_name": "postgres"}
    ).start()
    try:
        app_dsn = prepare_notifydb(cluster, "postgres")
        code, levels, messages = doctor(app_dsn)
        assert code == 0 and levels["pg_cron"] == "warning"
        assert messages["pg_cron"] == [
            "no pg_cron job runs notifydb.run_retention() in database notifydb_app: run `notifydb schedule`"
        ]

        assert run_cli("schedule", "--dsn", app_dsn, "--schedule", "@reboot").returncode == 0
        cluster.restart()  # pg_cron runs @reboot jobs at start
        assert wait_for_job_run(cluster.dsn()) == ("succeeded", "CALL")

        code, levels, messages = doctor(app_dsn, "--strict")
        assert code == 0, messages
        assert levels["pg_cron"] == "ok"
        assert messages["pg_cron"][0].startswith("pg_cron job 'notifydb-retention' (@reboot) last succeeded ")

        with connect(cluster.dsn()) as conn:
            (jobid,) = conn.execute("SELECT jobid FROM cron.job").fetchone()
            conn.execute("SELECT cron.alter_job(%s, active => false)", (jobid,))
        code, levels, messages = doctor(app_dsn)
    finally:
        cluster.stop()
    assert code == 0 and levels["pg_cron"] == "warning"
    assert messages["pg_cron"] == [
        f"pg_cron job 'notifydb-retention' (@reboot) is inactive: SELECT cron.alter_job({jobid}, active => true);"
    ]
