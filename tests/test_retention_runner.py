"""`python runner.py retention`: progress, summary, dry run, export of events, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from notifydb import retention
from tests.retention_support import add_event, add_notification, descriptions, purge_held_mid_batch, titles
from tests.support.cli import run_cli
from tests.support.postgres_server import migrated
from tests.support.roles import login_role


@pytest.fixture(scope="module")
def migrated_template(pg_server) -> str:
    return conninfo_to_dict(migrated(pg_server.create_database("notifydb_test_runner_template")))["dbname"]


@pytest.fixture
def dsn(pg_server, migrated_template) -> str:
    return pg_server.create_database("notifydb_test_runner", template=migrated_template)


@pytest.fixture
def db(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


def event_ids(conn: psycopg.Connection) -> set[int]:
    return {event_id for (event_id,) in conn.execute("SELECT id FROM notifydb.admin_system_events")}


def test_prints_a_line_per_batch_and_a_summary(dsn, db):
    for i in range(5):
        add_notification(db, f"old {i}", "100 days")
    add_notification(db, "keep", "1 day")
    add_event(db, "old", "200 days")

    result = run_cli("retention", "--dsn", dsn, "--batch-size", "2")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines if "batch" in line] == [
        "notifications: batch 1: 2 rows",
        "notifications: batch 2: 2 rows",
        "notifications: batch 3: 1 rows",
        "events: batch 1: 1 rows",
    ]
    assert "deleted 5 notifications" in lines and "deleted 1 events" in lines
    assert lines[-1].startswith("retention as of ") and " done in " in lines[-1]
    assert titles(db) == {"keep"} and descriptions(db) == set()


def test_dry_run_counts_what_the_purge_then_deletes(dsn, db):
    add_notification(db, "expired and old", "100 days", expires_in="-1 day")
    add_notification(db, "old", "100 days")
    add_notification(db, "keep", "1 day")
    add_event(db, "old", "200 days")
    add_event(db, "keep", "2 days")

    result = run_cli("retention", "--dsn", dsn, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "would delete 2 notifications" in result.stdout.splitlines()
    assert "would delete 1 events" in result.stdout.splitlines()
    assert len(titles(db)) == 3 and len(descriptions(db)) == 2, "a dry run deletes nothing"
    result = run_cli("retention", "--dsn", dsn)
    assert "deleted 2 notifications" in result.stdout.splitlines()
    assert "deleted 1 events" in result.stdout.splitlines()


def test_exported_events_equal_deleted_events(dsn, db, tmp_path: Path):
    for i in range(2500):  # more than two export pages
        add_event(db, f"old {i}", f"{181 + i % 50} days", resolved_ago="181 days" if i % 3 == 0 else None)
    add_event(db, "keep: seen recently", "300 days", seen_ago="1 day")
    add_event(db, "keep: young", "10 days")
    before = event_ids(db)
    export = tmp_path / "events.jsonl"

    result = run_cli("retention", "--dsn", dsn, "--export-events", str(export))

    assert result.returncode == 0, result.stderr
    exported = [json.loads(line) for line in export.read_text().splitlines()]
    deleted = before - event_ids(db)
    assert len(exported) == 2500 == len(deleted)
    assert {event["id"] for event in exported} == deleted
    assert {"id", "created_at", "event_type", "severity", "description", "last_seen_at"} <= exported[0].keys()
    assert f"exported 2500 events to {export}" in result.stdout.splitlines()


def test_an_event_active_again_after_the_export_is_not_deleted(dsn, db, tmp_path: Path):
    stale = add_event(db, "old, seen again during the export", "200 days")
    add_event(db, "old", "200 days")
    with psycopg.connect(dsn, autocommit=True) as conn:
        run = retention.start_run(conn)
        assert retention.export_events(conn, run, tmp_path / "events.jsonl") == 2
        db.execute("UPDATE notifydb.admin_system_events SET last_seen_at = now() WHERE id = %s", (stale,))
        assert retention.purge(conn, "events", run, batch_size=10) == 1
        retention.release_lock(conn)
    assert event_ids(db) == {stale}, "deleted is a subset of exported: the bumped event stays"


def test_a_policy_change_after_the_export_cannot_delete_unexported_events(dsn, db, tmp_path: Path):
    exported_ids = {add_event(db, f"200 days old {i}", "200 days") for i in range(3)}
    younger = {add_event(db, f"100 days old {i}", "100 days") for i in range(3)}
    export = tmp_path / "events.jsonl"
    with psycopg.connect(dsn, autocommit=True) as conn:
        run = retention.start_run(conn)
        assert retention.export_events(conn, run, export) == 3
        # A DBA shortens event_max_age mid-run: 100-day-old events are due now, but were not exported.
        db.execute("UPDATE notifydb.retention_policy SET event_max_age = '90 days'")
        assert retention.purge(conn, "events", run, batch_size=2) == 3
        retention.release_lock(conn)

    assert {json.loads(line)["id"] for line in export.read_text().splitlines()} == exported_ids
    assert event_ids(db) == younger, "the run purged with the cutoff it exported with"
    result = run_cli("retention", "--dsn", dsn)
    assert result.returncode == 0 and "deleted 3 events" in result.stdout.splitlines(), result.stdout
    assert event_ids(db) == set(), "the next run follows the new policy"


def test_a_policy_lengthened_mid_run_is_respected(dsn, db):
    """The run's cutoff only narrows what the policy allows: notifydb_retention cannot purge past it."""
    kept = {add_event(db, f"200 days old {i}", "200 days") for i in range(2)}
    with psycopg.connect(dsn, autocommit=True) as conn:
        run = retention.start_run(conn)
        db.execute("UPDATE notifydb.retention_policy SET event_max_age = '365 days'")
        assert retention.purge(conn, "events", run, batch_size=10) == 0
        retention.release_lock(conn)
    assert event_ids(db) == kept


def test_a_lock_left_in_the_session_by_a_failed_run_is_released(dsn, db):
    """A pooled session whose procedure failed at COMMIT still holds the lock: the runner on that
    session releases it first, and a failure of its own leaves no hold behind."""
    add_notification(db, "old", "100 days")
    with psycopg.connect(dsn, autocommit=True) as pooled:
        pooled.execute("SELECT pg_advisory_lock(notifydb._retention_lock_key())")  # as a failed COMMIT leaves it
        pooled.execute("SELECT pg_advisory_lock(notifydb._retention_lock_key())")
        result = retention.run_retention(pooled, batch_size=10)
        assert result.deleted == {"notifications": 1, "events": 0}
        assert not pooled.execute("SELECT notifydb._retention_lock_held()").fetchone()[0]

        add_notification(db, "old again", "100 days")
        db.execute(
            """
            CREATE FUNCTION public.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
            CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER DELETE ON notifydb.notifications
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.refuse_at_commit();
            """
        )
        with pytest.raises(psycopg.errors.RaiseException, match="refused at commit"):
            retention.run_retention(pooled, batch_size=10)
        assert not pooled.execute("SELECT notifydb._retention_lock_held()").fetchone()[0]
    assert titles(db) == {"old again"}


def test_skips_with_exit_0_while_another_run_is_in_progress(dsn, db):
    add_notification(db, "old", "100 days")
    with purge_held_mid_batch(dsn):
        result = run_cli("retention", "--dsn", dsn)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "retention: skipped: another retention run is in progress"


def test_failure_exits_non_zero_and_deletes_nothing(dsn, db, tmp_path: Path):
    add_notification(db, "old", "100 days")
    result = run_cli("retention", "--dsn", dsn, "--batch-size", "0")
    assert result.returncode == 1
    assert "p_batch_size must be between 1 and 100000" in result.stderr
    unwritable = tmp_path / "missing-folder" / "events.jsonl"
    result = run_cli("retention", "--dsn", dsn, "--export-events", str(unwritable))
    assert result.returncode == 1 and "No such file or directory" in result.stderr
    assert titles(db) == {"old"}, "an export that cannot be written stops the run before any delete"


@pytest.mark.parametrize("granted", [(), ("notifydb_app",)], ids=["no role", "notifydb_app"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry run"])
def test_a_role_without_notifydb_retention_is_told_which_role_it_needs(dsn, db, granted, dry_run: bool):
    add_notification(db, "old", "100 days")
    with login_role(dsn, *granted) as role_dsn:
        user = conninfo_to_dict(role_dsn)["user"]
        result = run_cli("retention", "--dsn", role_dsn, *(["--dry-run"] if dry_run else []))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("notifydb: ") and "for function" not in line and "for schema" not in line, line
    assert line.endswith(
        f"permission denied: retention needs the notifydb_retention role (GRANT notifydb_retention TO {user};)"
    ), line
    assert titles(db) == {"old"}
