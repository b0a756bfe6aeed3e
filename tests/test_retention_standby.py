"""Retention on a hot standby does nothing: a throwaway primary, a standby streaming from it
(pg_basebackup -R), and the procedures and the runner called on the standby."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.retention_support import LocalStandby, add_event, add_notification, call, descriptions, titles
from tests.support.cli import run_cli
from tests.support.cluster import LocalCluster
from tests.support.postgres_server import migrated


@pytest.fixture(scope="module")
def standby_dsn() -> Iterator[str]:
    """notifydb on a primary with due rows in it, and the DSN of the same database on its hot standby."""
    primary = LocalCluster().start()
    standby = None
    try:
        with psycopg.connect(primary.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE notifydb_app")
        with psycopg.connect(migrated(primary.dsn("notifydb_app")), autocommit=True) as db:
            add_notification(db, "old", "100 days")
            add_event(db, "old", "200 days")
        standby = LocalStandby(primary).start()
        standby.wait_for_replay()
        yield standby.dsn("notifydb_app")
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


def test_the_server_is_a_hot_standby_with_the_due_rows(standby_dsn):
    with psycopg.connect(standby_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT pg_catalog.pg_is_in_recovery()").fetchone()[0]
        assert titles(conn) == {"old"} and descriptions(conn) == {"old"}


@pytest.mark.parametrize(
    ("procedure", "notice"),
    [
        ("notifydb.purge_notifications", "purge_notifications: skipped, this server is a hot standby"),
        ("notifydb.purge_events", "purge_events: skipped, this server is a hot standby"),
    ],
)
def test_the_purges_skip_with_a_notice_and_p_deleted_0(standby_dsn, procedure, notice):
    deleted, notices = call(standby_dsn, f"CALL {procedure}()")
    assert deleted == 0
    assert notices == [notice]


def test_run_retention_skips_both_purges(standby_dsn):
    _, notices = call(standby_dsn, "CALL notifydb.run_retention()")
    assert notices == [
        "purge_notifications: skipped, this server is a hot standby",
        "purge_events: skipped, this server is a hot standby",
        "run_retention: deleted 0 notifications and 0 events",
    ]


def test_the_runner_says_skipped_and_exits_0(standby_dsn):
    result = run_cli("retention", "--dsn", standby_dsn)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "retention: skipped: this server is a hot standby; retention runs on the primary"
    with psycopg.connect(standby_dsn, autocommit=True) as conn:
        assert titles(conn) == {"old"} and descriptions(conn) == {"old"}
