"""migrate and status on a fresh database: apply, re-run, dry run, drift, status codes."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tests.support.cli import PROJECT_ROOT, run_cli
from tests.support.scripts_copy import add_versioned, copy_scripts

VERSIONED = sorted(p.name for p in (PROJECT_ROOT / "schema").glob("V*.sql"))
REPEATABLE = sorted(p.name for folder in ("functions", "retention") for p in (PROJECT_ROOT / folder).glob("*.sql"))


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


def test_dsn_from_environment(fresh_dsn: str) -> None:
    result = run_cli("migrate", env={"NOTIFYDB_DSN": fresh_dsn, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    assert result.returncode == 0, result.stderr
    assert schema_exists(fresh_dsn)


def test_dry_run_prints_the_plan_and_changes_nothing(fresh_dsn: str) -> None:
    result = run_cli("migrate", "--dry-run", "--dsn", fresh_dsn)
    assert result.returncode == 0, result.stderr
    for name in VERSIONED:
        assert name in result.stdout
    assert "transactional" in result.stdout and "sha256:" in result.stdout
    assert not schema_exists(fresh_dsn)


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


def test_unreachable_server_is_one_clear_line() -> None:
    result = run_cli("status", "--dsn", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("notifydb: 127.0.0.1:1/nowhere as postgres:")
