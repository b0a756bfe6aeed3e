"""What breaks real deploys: failing scripts, lock queues, concurrent runners,
non-transactional scripts and invalid indexes, repeatable scripts."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from notifydb.migrations.lock import LOCK_KEY
from tests.support.cli import read_until, run_cli, start_cli
from tests.support.scripts_copy import add_versioned, copy_scripts


def migrate(dsn: str, scripts: Path, *extra: str):
    return run_cli("migrate", "--dsn", dsn, "--scripts-dir", str(scripts), *extra)


def test_failing_script_leaves_no_trace(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    bad = add_versioned(
        scripts,
        "half_done",
        "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.half_done (x int);\n\nSELECT 1 / 0;\n",
    )
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 1
    assert f"schema/{bad.name}:4: division by zero (SQLSTATE 22012)" in result.stderr
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT to_regclass('notifydb.half_done')").fetchone()[0] is None
        assert conn.execute(
            "SELECT count(*) FROM notifydb.schema_history WHERE script LIKE %s", (f"%{bad.name}",)
        ).fetchone() == (0,)
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 3


def test_twenty_concurrent_migrations_apply_each_script_once(fresh_dsn: str) -> None:
    runners = [start_cli("migrate", "--dsn", fresh_dsn) for _ in range(20)]
    outcomes = [(runner.wait(timeout=180), runner.stderr.read()) for runner in runners]
    for runner in runners:
        runner.stdout.close()
        runner.stderr.close()
    assert [code for code, _ in outcomes] == [0] * 20, outcomes
    with psycopg.connect(fresh_dsn) as conn:
        counts = conn.execute("SELECT script, count(*) FROM notifydb.schema_history GROUP BY script").fetchall()
    assert counts and all(count == 1 for _, count in counts), counts


def test_lock_holder_is_named_when_the_wait_runs_out(fresh_dsn: str) -> None:
    with psycopg.connect(fresh_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        pid = holder.info.backend_pid
        started = time.monotonic()
        result = run_cli("migrate", "--dsn", fresh_dsn, "--lock-wait", "1")
        waited = time.monotonic() - started
    assert result.returncode == 1
    assert f"backend pid {pid}" in result.stderr
    assert waited < 30


def test_lock_timeout_is_retried_until_the_blocker_goes(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    add_versioned(
        scripts,
        "add_column",
        "SET LOCAL ROLE notifydb_owner;\nALTER TABLE notifydb.notifications ADD COLUMN extra text;\n",
    )
    locked, release = threading.Event(), threading.Event()

    def hold_table_lock() -> None:
        with psycopg.connect(fresh_dsn) as blocker:
            blocker.execute("LOCK TABLE notifydb.notifications IN ACCESS SHARE MODE")
            locked.set()
            release.wait(timeout=60)

    with ThreadPoolExecutor(1) as pool:
        blocker = pool.submit(hold_table_lock)
        assert locked.wait(timeout=30)
        runner = start_cli(
            "migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts), "--lock-timeout", "0.2", "--lock-retries", "8"
        )
        # Released once migrate has met the lock and said so, however slowly it started.
        seen = read_until(runner, "lock_timeout, retrying")
        release.set()
        blocker.result()
        code = runner.wait(timeout=60)
        stdout, stderr = runner.communicate()
    stdout = seen + stdout
    assert code == 0, stderr
    assert "lock_timeout, retrying" in stdout
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'notifydb.notifications'::regclass"
            " AND attname = 'extra'"
        ).fetchone() == (1,)


def test_lock_timeout_gives_up_clearly(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    script = add_versioned(
        scripts,
        "add_column",
        "SET LOCAL ROLE notifydb_owner;\nALTER TABLE notifydb.notifications ADD COLUMN extra text;\n",
    )
    with psycopg.connect(fresh_dsn) as blocker:
        blocker.execute("LOCK TABLE notifydb.notifications IN ACCESS SHARE MODE")
        result = migrate(fresh_dsn, scripts, "--lock-timeout", "0.1", "--lock-retries", "1")
    assert result.returncode == 1
    assert script.name in result.stderr and "2 attempts" in result.stderr
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 3


NON_TRANSACTIONAL = """-- notifydb:no-transaction
-- Builds without blocking writers.
SET ROLE notifydb_owner;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS notifications_title_unique_idx
ON notifydb.notifications (title);
"""


def index_is_valid(dsn: str, name: str) -> bool | None:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT i.indisvalid FROM pg_index AS i WHERE i.indexrelid = to_regclass(%s)", (f"notifydb.{name}",)
        ).fetchone()
    return row[0] if row else None


def insert_titles(dsn: str, *titles: str) -> None:
    with psycopg.connect(dsn) as conn:
        for title in titles:
            conn.execute(
                "INSERT INTO notifydb.notifications (tenant_id, type, title, message)"
                " VALUES (gen_random_uuid(), 'T', %s, 'm')",
                (title,),
            )


def test_non_transactional_script_and_invalid_index_rebuild(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    insert_titles(fresh_dsn, "same", "same")
    add_versioned(scripts, "title_index", NON_TRANSACTIONAL)

    plan = run_cli("migrate", "--dry-run", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert "non-transactional" in plan.stdout

    failed = migrate(fresh_dsn, scripts)
    assert failed.returncode == 1 and "23505" in failed.stderr
    assert index_is_valid(fresh_dsn, "notifications_title_unique_idx") is False
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 5

    with psycopg.connect(fresh_dsn) as conn:
        conn.execute("DELETE FROM notifydb.notifications")
    fixed = migrate(fresh_dsn, scripts)
    assert fixed.returncode == 0, fixed.stderr
    assert "rebuilding invalid index notifydb.notifications_title_unique_idx" in fixed.stdout
    assert index_is_valid(fresh_dsn, "notifications_title_unique_idx") is True
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
    with psycopg.connect(fresh_dsn) as conn:
        owner = conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'notifications_title_unique_idx'"
        ).fetchone()[0]
        assert owner == "notifydb_owner"


def test_repeatable_script_is_reapplied_only_when_changed(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    function = scripts / "functions" / "zz_answer.sql"
    function.write_text(
        "SET LOCAL ROLE notifydb_owner;\n"
        "CREATE OR REPLACE FUNCTION notifydb.zz_answer() RETURNS integer LANGUAGE sql AS $$ SELECT 41 $$;\n"
    )
    assert migrate(fresh_dsn, scripts).returncode == 0
    assert "zz_answer" not in migrate(fresh_dsn, scripts).stdout

    function.write_text(function.read_text().replace("41", "42"))
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 3
    again = migrate(fresh_dsn, scripts)
    assert "applied functions/zz_answer.sql" in again.stdout
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT notifydb.zz_answer()").fetchone() == (42,)
        assert conn.execute(
            "SELECT count(*) FROM notifydb.schema_history WHERE script = 'functions/zz_answer.sql'"
        ).fetchone() == (2,)


def test_error_line_is_that_of_the_failing_token_in_a_later_statement(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    bad = add_versioned(
        scripts,
        "unknown_column",
        "SET LOCAL ROLE notifydb_owner;\n"
        "-- Non-ASCII before the statement — so characters and bytes differ.\n"
        "SELECT\n"
        "    id,\n"
        "    title,\n"
        "    no_such_column\n"
        "FROM notifydb.notifications;\n",
    )
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 1
    assert f'schema/{bad.name}:6: column "no_such_column" does not exist (SQLSTATE 42703)' in result.stderr


def test_failing_repeatable_script_leaves_no_trace(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    broken = scripts / "functions" / "zz_broken.sql"
    broken.write_text(
        "SET LOCAL ROLE notifydb_owner;\n"
        "CREATE FUNCTION notifydb.zz_broken() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;\n"
        "COMMENT ON FUNCTION notifydb.zz_misspelt() IS 'names a function that does not exist';\n"
    )
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 1
    assert "functions/zz_broken.sql:3: function notifydb.zz_misspelt() does not exist (SQLSTATE 42883)" in result.stderr
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT to_regprocedure('notifydb.zz_broken()')").fetchone()[0] is None
        assert conn.execute(
            "SELECT count(*) FROM notifydb.schema_history WHERE script = 'functions/zz_broken.sql'"
        ).fetchone() == (0,)
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 3

    broken.write_text(broken.read_text().replace("zz_misspelt", "zz_broken"))
    assert migrate(fresh_dsn, scripts).returncode == 0
    assert run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).returncode == 0
