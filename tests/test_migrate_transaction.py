"""One migrate run is one transaction: everything applies or nothing does,
except that a non-transactional script commits what came before it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from tests.support.cli import read_until, run_cli, start_cli
from tests.support.scripts_copy import add_versioned, copy_scripts
from tests.test_migrate_hazards import migrate


def history(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT installed_rank, script, checksum, defines, removed FROM notifydb.schema_history"
            " ORDER BY installed_rank"
        ).fetchall()


def exists(dsn: str, regclass_or_regprocedure: str) -> bool:
    kind = "regprocedure" if "(" in regclass_or_regprocedure else "regclass"
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT to_{kind}(%s) IS NOT NULL", (regclass_or_regprocedure,)).fetchone()[0]


def write(scripts: Path, relative: str, sql: str) -> Path:
    path = scripts / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("SET LOCAL ROLE notifydb_owner;\n" + sql)
    return path


ANSWER = "CREATE OR REPLACE FUNCTION notifydb.zz_answer() RETURNS integer LANGUAGE sql AS $$ SELECT {} $$;\n"
FAILS = "CREATE OR REPLACE FUNCTION notifydb.zz_fails() RETURNS integer LANGUAGE sql AS $$ SELECT {} $$;\n"


def test_a_failing_repeatable_script_leaves_the_whole_run_unapplied(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    write(scripts, "functions/zz_answer.sql", ANSWER.format(41))
    # Applied last of all (triggers/ comes last), so everything else of the run came before it.
    fails = write(scripts, "triggers/zz_fails.sql", FAILS.format(1))
    assert migrate(fresh_dsn, scripts).returncode == 0
    before = history(fresh_dsn)

    versioned = add_versioned(
        scripts, "zz_table", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.zz_table (x int);\n"
    )
    write(scripts, "functions/zz_answer.sql", ANSWER.format(42))
    write(scripts, "functions/zz_new.sql", ANSWER.replace("zz_answer", "zz_new").format(1))
    write(scripts, "triggers/zz_fails.sql", FAILS.format(2) + "SELECT notifydb.zz_no_such_function();\n")
    result = migrate(fresh_dsn, scripts)

    assert result.returncode == 1
    assert "triggers/zz_fails.sql:3: function notifydb.zz_no_such_function() does not exist" in result.stderr
    assert "applied" not in result.stdout
    assert not exists(fresh_dsn, "notifydb.zz_table")
    assert not exists(fresh_dsn, "notifydb.zz_new()")
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT notifydb.zz_answer(), notifydb.zz_fails()").fetchone() == (41, 1)
    assert history(fresh_dsn) == before
    status = run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(scripts))
    assert status.returncode == 3
    pending = {line.split()[-1] for line in status.stdout.splitlines() if line.startswith("pending")}
    assert pending == {
        f"schema/{versioned.name}",
        "functions/zz_answer.sql",
        "functions/zz_new.sql",
        fails.relative_to(scripts).as_posix(),
    }


INDEX_CONCURRENTLY = """-- notifydb:no-transaction
SET ROLE notifydb_owner;
CREATE INDEX CONCURRENTLY IF NOT EXISTS zz_before_idx ON notifydb.zz_before (x);
"""


def test_a_non_transactional_script_commits_what_came_before_it(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    before = add_versioned(
        scripts, "zz_before", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.zz_before (x int);\n"
    )
    index = add_versioned(scripts, "zz_index", INDEX_CONCURRENTLY)
    after = add_versioned(
        scripts, "zz_after", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.zz_after (x int);\n"
    )
    write(scripts, "functions/zz_fails.sql", "SELECT 1 / 0;\n")

    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 1 and "functions/zz_fails.sql:2: division by zero" in result.stderr
    # The first transaction committed before the non-transactional script ran alone...
    assert exists(fresh_dsn, "notifydb.zz_before") and exists(fresh_dsn, "notifydb.zz_before_idx")
    applied = [line.split(" (")[0] for line in result.stdout.splitlines() if line.startswith("applied ")]
    assert applied == [f"applied schema/{before.name}", f"applied schema/{index.name}"]
    # ...and the second, which held the failing script, rolled back.
    assert not exists(fresh_dsn, "notifydb.zz_after")
    recorded = {script for _, script, *_ in history(fresh_dsn)}
    assert {f"schema/{before.name}", f"schema/{index.name}"} <= recorded
    assert f"schema/{after.name}" not in recorded


def test_every_script_starts_as_the_connecting_user_with_its_settings(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    add_versioned(
        scripts,
        "zz_changes_the_session",
        "SET LOCAL ROLE notifydb_owner;\n"
        "SET LOCAL search_path = nowhere;\n"
        "SET statement_timeout = '1234s';\n"
        "CREATE TABLE notifydb.zz_session (script text, role name, search_path text, statement_timeout text,"
        " check_function_bodies text);\n",
    )
    seen = (
        "INSERT INTO notifydb.zz_session SELECT {!r}, current_user, current_setting('search_path'),"
        " current_setting('statement_timeout'), current_setting('check_function_bodies');\n"
    )
    add_versioned(scripts, "zz_sees_the_session", seen.format("versioned"))
    (scripts / "functions" / "zz_sees_the_session.sql").write_text(seen.format("repeatable"))

    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(fresh_dsn) as conn:
        default = conn.execute(
            "SELECT current_user, current_setting('search_path'), current_setting('statement_timeout')"
        ).fetchone()
        seen_rows = conn.execute("SELECT * FROM notifydb.zz_session ORDER BY script DESC").fetchall()
        owner = conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'notifydb.zz_session'::regclass"
        ).fetchone()
    assert seen_rows == [("versioned", *default, "on"), ("repeatable", *default, "off")]
    assert owner == ("notifydb_owner",)


def test_lock_timeout_retries_the_whole_transaction(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    first = add_versioned(
        scripts, "zz_first", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.zz_first (x int);\n"
    )
    blocked = add_versioned(
        scripts,
        "zz_blocked",
        "SET LOCAL ROLE notifydb_owner;\nALTER TABLE notifydb.notifications ADD COLUMN zz_extra text;\n",
    )
    locked, release = threading.Event(), threading.Event()

    def hold_table_lock() -> None:
        with psycopg.connect(fresh_dsn) as blocker:
            blocker.execute("LOCK TABLE notifydb.notifications IN ACCESS SHARE MODE")
            locked.set()
            release.wait(timeout=60)

    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(hold_table_lock)
        assert locked.wait(timeout=30)
        runner = start_cli(
            "migrate", "--dsn", fresh_dsn, "--scripts-dir", str(scripts), "--lock-timeout", "0.2", "--lock-retries", "8"
        )
        # Released once migrate has met the lock and said so, however slowly it started.
        seen = read_until(runner, "lock_timeout, retrying")
        release.set()
        holder.result()
        code = runner.wait(timeout=60)
        stdout, stderr = runner.communicate()
    stdout = seen + stdout
    assert code == 0, stderr
    assert f"schema/{blocked.name}: lock_timeout, retrying its transaction (2 steps)" in stdout
    # The first script ran again in every attempt, and committed once.
    assert stdout.count(f"applied schema/{first.name}") == 1
    scripts_applied = [script for _, script, *_ in history(fresh_dsn)]
    assert scripts_applied.count(f"schema/{first.name}") == 1
    assert scripts_applied.count(f"schema/{blocked.name}") == 1
