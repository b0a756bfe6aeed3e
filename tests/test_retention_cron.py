"""pg_cron on a throwaway cluster with pg_cron preloaded: `runner.py schedule` and
retention/cron/schedule_retention.sql (run with psql) install one job (a new
schedule updates it), in the notifydb database wherever pg_cron lives, and the
job runs retention as the role that scheduled it.

pg_cron 1.4 (Debian 12) has no seconds schedules, so the job that must run is
scheduled '@reboot' and the cluster restarted: the scheduler runs it at once.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import PROJECT_ROOT
from tests.retention_support import add_event, add_notification, descriptions, titles
from tests.support.cli import run_cli
from tests.support.cluster import LocalCluster
from tests.support.postgres_server import migrated
from tests.support.psql import psql

pytestmark = pytest.mark.needs_pg_cron

JOB_COLUMNS = "SELECT jobname, schedule, command, database, username FROM cron.job"
SCRIPT = PROJECT_ROOT / "retention" / "cron" / "schedule_retention.sql"


@pytest.fixture
def cron_cluster(request) -> Iterator[LocalCluster]:
    cluster = LocalCluster(
        settings={"shared_preload_libraries": "pg_cron", "cron.database_name": request.param}
    ).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True)


def prepare_notifydb(cluster: LocalCluster, cron_database: str) -> str:
    """Database notifydb_app, migrated, with pg_cron created in `cron_database`."""
    with connect(cluster.dsn()) as conn:
        conn.execute("CREATE DATABASE notifydb_app")
    with connect(cluster.dsn(cron_database)) as conn:
        conn.execute("CREATE EXTENSION pg_cron")
    return migrated(cluster.dsn("notifydb_app"))


def run_script(cluster: LocalCluster, dsn: str, **variables: str) -> subprocess.CompletedProcess:
    """psql -f retention/cron/schedule_retention.sql, as a DBA runs it (-v name=value for each variable)."""
    settings = [arg for name, value in variables.items() for arg in ("-v", f"{name}={value}")]
    return subprocess.run(
        [str(cluster.bindir / "psql"), "-X", "-d", dsn, *settings, "-f", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for_job_run(cron_dsn: str, timeout: float = 20) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connect(cron_dsn) as conn:
            row = conn.execute(
                "SELECT status, return_message FROM cron.job_run_details"
                " WHERE status IN ('succeeded', 'failed') ORDER BY runid DESC LIMIT 1"
            ).fetchone()
        if row:
            return row
        time.sleep(0.2)
    raise AssertionError("the pg_cron job did not finish within 20 s")


@pytest.mark.parametrize("cron_cluster", ["postgres"], indirect=True)
def test_job_in_another_database_runs_retention_as_the_scheduling_role(cron_cluster):
    app_dsn = prepare_notifydb(cron_cluster, "postgres")
    with connect(cron_cluster.dsn()) as conn:
        conn.execute("CREATE ROLE retention_job LOGIN")
        conn.execute("GRANT USAGE ON SCHEMA cron TO retention_job")
        conn.execute(
            "GRANT EXECUTE ON FUNCTION cron.schedule_in_database(text, text, text, text, text, boolean)"
            " TO retention_job"
        )
    job_dsn = app_dsn.replace("postgres@", "retention_job@")
    job_cron_dsn = cron_cluster.dsn().replace("postgres@", "retention_job@")
    with connect(app_dsn) as db:
        add_notification(db, "old", "100 days")
        add_notification(db, "keep", "1 day")
        add_event(db, "old", "200 days")
        add_event(db, "keep", "1 day")

    refused = run_cli("schedule", "--dsn", job_dsn, "--cron-dsn", job_cron_dsn)
    assert refused.returncode == 2 and "GRANT notifydb_retention TO retention_job" in refused.stderr
    with connect(app_dsn) as db:
        db.execute("GRANT notifydb_retention TO retention_job")
    unreadable = run_cli("schedule", "--dsn", job_dsn)
    assert unreadable.returncode == 2 and "--cron-dsn" in unreadable.stderr

    for _ in range(2):
        result = run_cli("schedule", "--dsn", job_dsn, "--cron-dsn", job_cron_dsn)
        assert result.returncode == 0, result.stderr
    with connect(cron_cluster.dsn()) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [
            ("notifydb-retention", "0 * * * *", "CALL notifydb.run_retention()", "notifydb_app", "retention_job")
        ], "scheduling twice leaves one job"

    result = run_cli("schedule", "--dsn", job_dsn, "--cron-dsn", job_cron_dsn, "--schedule", "@reboot")
    assert result.returncode == 0, result.stderr
    with connect(cron_cluster.dsn()) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [
            ("notifydb-retention", "@reboot", "CALL notifydb.run_retention()", "notifydb_app", "retention_job")
        ], "a new schedule updates the job"

    cron_cluster.restart()
    assert wait_for_job_run(cron_cluster.dsn()) == ("succeeded", "CALL")
    with connect(app_dsn) as db:
        assert titles(db) == {"keep"} and descriptions(db) == {"keep"}


@pytest.mark.parametrize("cron_cluster", ["notifydb_app"], indirect=True)
def test_script_and_runner_share_one_job_in_the_same_database(cron_cluster):
    app_dsn = prepare_notifydb(cron_cluster, "notifydb_app")
    for _ in range(2):
        result = run_script(cron_cluster, app_dsn)
        assert result.returncode == 0, result.stderr
    assert "in database notifydb_app as postgres" in result.stderr
    with connect(app_dsn) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [
            ("notifydb-retention", "0 * * * *", "CALL notifydb.run_retention()", "notifydb_app", "postgres")
        ]

    result = run_cli("schedule", "--dsn", app_dsn, "--schedule", "*/15 * * * *")

    assert result.returncode == 0, result.stderr
    assert "runs in database 'notifydb_app' as 'postgres'" in result.stdout
    with connect(app_dsn) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [
            ("notifydb-retention", "*/15 * * * *", "CALL notifydb.run_retention()", "notifydb_app", "postgres")
        ]


@pytest.mark.parametrize("cron_cluster", ["postgres"], indirect=True)
def test_with_pg_cron_in_another_database_the_job_goes_to_the_notifydb_one(cron_cluster):
    app_dsn = prepare_notifydb(cron_cluster, "postgres")
    cron_dsn = cron_cluster.dsn()

    # Left to its default, the script targets the database it runs in, which has no notifydb: refused.
    refused = run_script(cron_cluster, cron_dsn)
    assert refused.returncode != 0
    assert "notifydb.run_retention() does not exist in database postgres" in refused.stderr
    assert "-v notifydb_database=" in refused.stderr
    with connect(cron_dsn) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [], "nothing was scheduled"

    result = run_script(cron_cluster, cron_dsn, notifydb_database="notifydb_app", schedule="*/30 * * * *")
    assert result.returncode == 0, result.stderr
    with connect(cron_dsn) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [
            ("notifydb-retention", "*/30 * * * *", "CALL notifydb.run_retention()", "notifydb_app", "postgres")
        ]

    # The runner's default route: read cron.database_name on --dsn, connect there, schedule_in_database.
    result = run_cli("schedule", "--dsn", app_dsn, "--schedule", "@daily")
    assert result.returncode == 0, result.stderr
    assert "runs in database 'notifydb_app' as 'postgres'" in result.stdout
    with connect(cron_dsn) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [
            ("notifydb-retention", "@daily", "CALL notifydb.run_retention()", "notifydb_app", "postgres")
        ], "the runner updated the script's job: same name, same user"

    missing = run_script(cron_cluster, cron_dsn, notifydb_database="no_such_database")
    assert missing.returncode != 0 and "database no_such_database does not exist" in missing.stderr


@pytest.mark.parametrize("cron_cluster", ["postgres"], indirect=True)
def test_script_run_in_the_notifydb_database_names_the_cron_database(cron_cluster):
    """pg_cron lives in postgres; run in notifydb_app, the script says where to run it instead, in one line."""
    app_dsn = prepare_notifydb(cron_cluster, "postgres")
    refused = run_script(cron_cluster, app_dsn)
    assert refused.returncode != 0
    [line] = refused.stderr.splitlines()
    assert line.endswith(
        "ERROR:  pg_cron is not installed in database notifydb_app: run this file in the database pg_cron lives"
        " in, cron.database_name = postgres, with -v notifydb_database=notifydb_app (and CREATE EXTENSION"
        " pg_cron there first if it is missing)"
    ), line
    with connect(cron_cluster.dsn()) as conn:
        assert conn.execute(JOB_COLUMNS).fetchall() == [], "nothing was scheduled"


def test_script_on_a_server_without_pg_cron_says_what_to_do(migrated_dsn: str):
    """The suite's own server does not preload pg_cron: one line, no `schema "cron" does not exist`."""
    refused = subprocess.run(
        [str(psql()), "-X", "-d", migrated_dsn, "-f", str(SCRIPT)], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 3, refused  # psql's ON_ERROR_STOP exit
    [line] = refused.stderr.splitlines()
    assert "ERROR:  pg_cron is not loaded on this server: add pg_cron to shared_preload_libraries" in line, line
