"""migrate and status on a fresh database: apply, re-run, dry run, drift, status codes."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import psycopg

from notifydb.migrations.scripts import REPEATABLE_DIRS
from tests.support.cli import PROJECT_ROOT, run_cli
from tests.support.scripts_copy import add_versioned, copy_scripts

VERSIONED = sorted(p.name for p in (PROJECT_ROOT / "schema").glob("V*.sql"))
# In the order migrate applies them: by folder, then name.
REPEATABLE_PATHS = [p for folder in REPEATABLE_DIRS for p in sorted((PROJECT_ROOT / folder).glob("*.sql"))]
REPEATABLE = sorted(p.name for p in REPEATABLE_PATHS)


def history(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT kind, script, success FROM notifydb.schema_history ORDER BY installed_rank"
        ).fetchall()


def schema_exists(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT to_regnamespace('notifydb') IS NOT NULL").fetchone()[0]


def test_fresh_migrate_applies_everything_once(fresh_dsn: str) -> None:
    result = run_cli("migrate", "--dsn", fresh_dsn)
    assert result.returncode == 0, result.stderr
    rows = history(fresh_dsn)
    assert [Path(script).name for kind, script, _ in rows if kind == "versioned"] == VERSIONED
    assert sorted(Path(script).name for kind, script, _ in rows if kind == "repeatable") == REPEATABLE
    assert all(success for *_, success in rows)
    assert run_cli("status", "--dsn", fresh_dsn).returncode == 0


def test_second_run_changes_nothing(fresh_dsn: str) -> None:
    assert run_cli("migrate", "--dsn", fresh_dsn).returncode == 0
    before = history(fresh_dsn)
    again = run_cli("migrate", "--dsn", fresh_dsn)
    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stdout
    assert history(fresh_dsn) == before


def expected_plan_line(path: Path) -> str:
    """What the dry run prints for a script, worked out here from the file itself."""
    content = path.read_bytes()
    kind = "versioned" if path.parent.name == "schema" else "repeatable"
    mode = "non-transactional" if b"\n-- notifydb:no-transaction\n" in b"\n" + content else "transactional"
    checksum = hashlib.sha256(content.replace(b"\r\n", b"\n")).hexdigest()
    return f"would apply  {path.relative_to(path.parents[1]).as_posix()}  {kind}  sha256:{checksum}  {mode}"


def test_dry_run_prints_the_plan_and_changes_nothing(fresh_dsn: str) -> None:
    result = run_cli("migrate", "--dry-run", "--dsn", fresh_dsn)
    assert result.returncode == 0, result.stderr
    scripts = [PROJECT_ROOT / "schema" / name for name in VERSIONED] + REPEATABLE_PATHS
    assert result.stdout.splitlines() == [expected_plan_line(path) for path in scripts]
    assert not schema_exists(fresh_dsn)


def test_dry_run_marks_a_non_transactional_script(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    added = add_versioned(
        scripts,
        "concurrent_index",
        "-- notifydb:no-transaction\nSET ROLE notifydb_owner;\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_idx ON notifydb.notifications (title);\n",
    )
    result = run_cli("migrate", "--dry-run", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert expected_plan_line(added) in lines and lines[lines.index(expected_plan_line(added))].endswith(
        "  non-transactional"
    )
    assert sum(line.endswith("  non-transactional") for line in lines) == 1
    assert not schema_exists(fresh_dsn)


def test_dry_run_on_a_partly_migrated_database_lists_only_what_is_new(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
    before = history(fresh_dsn)
    added = add_versioned(
        scripts, "planned_table", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.planned (x int);\n"
    )
    changed = scripts / "functions" / "unread_count.sql"
    changed.write_text(changed.read_text() + "\n-- a changed repeatable script\n")

    result = run_cli("migrate", "--dry-run", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [expected_plan_line(added), expected_plan_line(changed)]
    assert history(fresh_dsn) == before
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT to_regclass('notifydb.planned')").fetchone()[0] is None


def test_dry_run_with_drift_exits_4_like_migrate(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
    applied = scripts / "schema" / VERSIONED[0]
    applied.write_text(applied.read_text() + "\n-- an edit after the fact\n")
    result = run_cli("migrate", "--dry-run", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert result.returncode == 4
    assert result.stdout.splitlines() == [f"refuse  schema/{VERSIONED[0]}: modified", "dry run: nothing to apply"]


def test_history_records_checksum_user_version_and_time(fresh_dsn: str) -> None:
    assert run_cli("migrate", "--dsn", fresh_dsn).returncode == 0
    with psycopg.connect(fresh_dsn) as conn:
        me, now = conn.execute("SELECT session_user, now()").fetchone()
        rows = conn.execute(
            "SELECT version, kind, script, checksum, installed_by, installed_at, execution_ms, success"
            " FROM notifydb.schema_history ORDER BY installed_rank"
        ).fetchall()
    assert len(rows) == len(VERSIONED) + len(REPEATABLE)
    for version, kind, script, checksum, installed_by, installed_at, execution_ms, success in rows:
        content = (PROJECT_ROOT / script).read_bytes().replace(b"\r\n", b"\n")
        assert checksum == hashlib.sha256(content).hexdigest(), script
        name = re.fullmatch(r"V(\d+)__\w+\.sql", Path(script).name)
        assert (kind, version) == (("versioned", name[1]) if name else ("repeatable", None)), script
        assert installed_by == me and success
        assert now - timedelta(minutes=10) < installed_at <= now
        assert execution_ms >= 0
    assert sum(row[6] for row in rows) > 0, "execution times are measured"


def test_a_vanished_applied_script_is_reported_missing_and_refused(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
    (scripts / "schema" / VERSIONED[-1]).unlink()
    status = run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert status.returncode == 4
    assert f"missing   versioned  schema/{VERSIONED[-1]}" in status.stdout
    refused = run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert refused.returncode == 4
    assert f"schema/{VERSIONED[-1]} (missing)" in refused.stderr


def test_status_codes_and_json(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    pending = run_cli("status", "--json", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert pending.returncode == 3
    report = json.loads(pending.stdout)
    assert report["up_to_date"] is False and report["counts"]["pending"] == len(VERSIONED) + len(REPEATABLE)

    assert run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
    assert json.loads(run_cli("status", "--json", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).stdout)[
        "up_to_date"
    ]

    add_versioned(scripts, "later_change", "SET LOCAL ROLE notifydb_owner;\nSELECT 1;\n")
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 3


def test_changed_applied_script_is_refused(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
    applied = scripts / "schema" / VERSIONED[-1]
    applied.write_text(applied.read_text() + "\n-- an innocent-looking edit\n")
    add_versioned(scripts, "new_table", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.never (x int);\n")

    status = run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert status.returncode == 4
    assert f"modified  versioned  schema/{VERSIONED[-1]}" in status.stdout

    refused = run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert refused.returncode == 4
    assert VERSIONED[-1] in refused.stderr and "refusing" in refused.stderr
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT to_regclass('notifydb.never')").fetchone()[0] is None


def test_line_endings_do_not_count_as_a_change(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert run_cli("migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
    for path in (scripts / "schema").glob("*.sql"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0


def test_second_database_in_the_same_cluster(pg_server) -> None:
    first, second = pg_server.create_database(), pg_server.create_database()
    assert run_cli("migrate", "--dsn", first).returncode == 0
    result = run_cli("migrate", "--dsn", second)
    assert result.returncode == 0, result.stderr
    assert run_cli("status", "--dsn", second).returncode == 0
