"""Repeatable scripts: what they define is recorded, dropped when they stop
defining it or leave the disk, and replaced without callers noticing."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from notifydb.migrations.scripts import REPEATABLE_DIRS
from tests.support.cli import run_cli
from tests.support.scripts_copy import add_versioned, copy_scripts
from tests.test_migrate_hazards import migrate
from tests.test_migrate_transaction import exists, write


def dry_run(dsn: str, scripts: Path) -> list[str]:
    result = run_cli("migrate", "--dry-run", "--dsn", dsn, "--scripts-dir", str(scripts))
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def status(dsn: str, scripts: Path):
    return run_cli("status", "--dsn", dsn, "--scripts-dir", str(scripts))


def last_row(dsn: str, script: str) -> tuple:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT defines, removed FROM notifydb.schema_history WHERE script = %s ORDER BY installed_rank DESC",
            (script,),
        ).fetchone()


ADD = """CREATE OR REPLACE FUNCTION notifydb.zz_add({params})
RETURNS integer
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    RETURN {body};
END
$$;
"""
ONE_PARAMETER = ADD.format(params="p_a integer", body="p_a + 1")
TWO_PARAMETERS = ADD.format(params="p_a integer, p_b integer DEFAULT 10", body="p_a + p_b")


def test_history_records_what_each_repeatable_script_defines(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    assert last_row(fresh_dsn, "functions/mark_read.sql") == (["function notifydb.mark_read(uuid,uuid,uuid[])"], False)
    assert last_row(fresh_dsn, "retention/run_retention.sql") == (["procedure notifydb.run_retention()"], False)
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute(
            "SELECT count(*) FROM notifydb.schema_history WHERE (defines IS NULL) <> (kind = 'versioned')"
        ).fetchone() == (0,)


def test_a_signature_change_under_load_gives_callers_no_error(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    function = write(scripts, "functions/zz_add.sql", ONE_PARAMETER)
    assert migrate(fresh_dsn, scripts).returncode == 0
    stop = threading.Event()

    def call_in_a_loop() -> tuple[set[int], list[str]]:
        answers: set[int] = set()
        failures: list[str] = []
        with psycopg.connect(fresh_dsn, autocommit=True) as conn:
            while not stop.is_set():
                try:
                    answers.add(conn.execute("SELECT notifydb.zz_add(%s)", (1,)).fetchone()[0])
                except psycopg.Error as exc:
                    failures.append(f"{exc.sqlstate}: {exc}")
        return answers, failures

    with ThreadPoolExecutor(8) as pool:
        callers = [pool.submit(call_in_a_loop) for _ in range(8)]
        try:
            # Both ways, twice: the added parameter dropped again is a signature change too.
            for text in (TWO_PARAMETERS, ONE_PARAMETER, TWO_PARAMETERS):
                function.write_text("SET LOCAL ROLE notifydb_owner;\n" + text)
                result = migrate(fresh_dsn, scripts)
                assert result.returncode == 0, result.stderr
        finally:
            stop.set()
        outcomes = [caller.result() for caller in callers]

    assert [failures for _, failures in outcomes] == [[]] * 8
    assert all(answers == {2, 11} for answers, _ in outcomes), outcomes
    assert not exists(fresh_dsn, "notifydb.zz_add(integer)")
    assert last_row(fresh_dsn, "functions/zz_add.sql") == (["function notifydb.zz_add(integer,integer)"], False)


def test_a_changed_script_drops_what_it_no_longer_defines_first(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    function = write(scripts, "functions/zz_add.sql", ONE_PARAMETER)
    assert migrate(fresh_dsn, scripts).returncode == 0
    # Were zz_add(integer) still there, zz_add(1) would be ambiguous.
    write(scripts, "functions/zz_add.sql", TWO_PARAMETERS + "SELECT notifydb.zz_add(1);\n")

    plan = dry_run(fresh_dsn, scripts)
    assert plan[0] == "would drop  function notifydb.zz_add(integer)  (functions/zz_add.sql no longer defines it)"
    assert plan[1].startswith("would apply  functions/zz_add.sql  repeatable")
    assert len(plan) == 2
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    assert "; dropped function notifydb.zz_add(integer))" in result.stdout
    assert not exists(fresh_dsn, "notifydb.zz_add(integer)")
    assert last_row(fresh_dsn, function.relative_to(scripts).as_posix())[0] == [
        "function notifydb.zz_add(integer,integer)"
    ]


def test_type_names_that_mean_the_same_type_are_the_same_signature(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    text = ADD.format(params="p_at timestamptz", body="1")
    write(scripts, "functions/zz_add.sql", text)
    assert migrate(fresh_dsn, scripts).returncode == 0
    with psycopg.connect(fresh_dsn) as conn:
        oid = conn.execute("SELECT 'notifydb.zz_add(timestamptz)'::regprocedure::oid").fetchone()
    write(scripts, "functions/zz_add.sql", text.replace("timestamptz", "timestamp with time zone"))

    assert [line.split()[:2] for line in dry_run(fresh_dsn, scripts)] == [["would", "apply"]]
    assert migrate(fresh_dsn, scripts).returncode == 0
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT 'notifydb.zz_add(timestamptz)'::regprocedure::oid").fetchone() == oid


def test_a_removed_script_has_its_objects_dropped(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    gone = write(scripts, "functions/zz_gone.sql", ONE_PARAMETER.replace("zz_add", "zz_gone"))
    assert migrate(fresh_dsn, scripts).returncode == 0
    gone.unlink()

    before = status(fresh_dsn, scripts)
    assert before.returncode == 3
    assert "removed   repeatable functions/zz_gone.sql" in before.stdout.splitlines()
    report = json.loads(run_cli("status", "--json", "--dsn", fresh_dsn, "--scripts-dir", str(scripts)).stdout)
    assert [s for s in report["scripts"] if s["state"] != "applied"] == [
        {
            "script": "functions/zz_gone.sql",
            "kind": "repeatable",
            "version": None,
            "state": "removed",
            "checksum": None,
            "applied_checksum": report["scripts"][-1]["applied_checksum"],
            "transactional": None,
        }
    ]
    assert dry_run(fresh_dsn, scripts) == [
        "would drop  function notifydb.zz_gone(integer)  (functions/zz_gone.sql was deleted)",
        "would record  functions/zz_gone.sql  removed",
    ]
    assert exists(fresh_dsn, "notifydb.zz_gone(integer)")

    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    assert "removed functions/zz_gone.sql (dropped function notifydb.zz_gone(integer))" in result.stdout
    assert not exists(fresh_dsn, "notifydb.zz_gone(integer)")
    assert last_row(fresh_dsn, "functions/zz_gone.sql") == (["function notifydb.zz_gone(integer)"], True)
    after = status(fresh_dsn, scripts)
    assert after.returncode == 0 and "zz_gone" not in after.stdout
    assert "already up to date" in migrate(fresh_dsn, scripts).stdout

    # Back on disk, it is a new script.
    write(scripts, "functions/zz_gone.sql", ONE_PARAMETER.replace("zz_add", "zz_gone"))
    assert "pending   repeatable functions/zz_gone.sql" in status(fresh_dsn, scripts).stdout
    assert migrate(fresh_dsn, scripts).returncode == 0
    assert exists(fresh_dsn, "notifydb.zz_gone(integer)")


TRIGGER = """CREATE OR REPLACE FUNCTION notifydb.{function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.x := NEW.x + 1;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER zz_items_bump BEFORE INSERT ON notifydb.zz_items
FOR EACH ROW EXECUTE FUNCTION notifydb.{function}();
"""


def test_a_removed_trigger_script_drops_the_trigger_before_its_function(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    add_versioned(scripts, "zz_items", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.zz_items (x int);\n")
    bump = write(scripts, "triggers/zz_items.sql", TRIGGER.format(function="_zz_bump"))
    assert migrate(fresh_dsn, scripts).returncode == 0
    defined = ["function notifydb._zz_bump()", "trigger zz_items_bump on notifydb.zz_items"]
    assert last_row(fresh_dsn, "triggers/zz_items.sql") == (defined, False)
    bump.unlink()

    assert dry_run(fresh_dsn, scripts)[:2] == [
        "would drop  trigger zz_items_bump on notifydb.zz_items  (triggers/zz_items.sql was deleted)",
        "would drop  function notifydb._zz_bump()  (triggers/zz_items.sql was deleted)",
    ]
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    assert not exists(fresh_dsn, "notifydb._zz_bump()")
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'zz_items_bump'").fetchone() == (0,)


def test_a_trigger_repointed_to_a_new_function_lets_the_old_one_go(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    add_versioned(scripts, "zz_items", "SET LOCAL ROLE notifydb_owner;\nCREATE TABLE notifydb.zz_items (x int);\n")
    write(scripts, "triggers/zz_items.sql", TRIGGER.format(function="_zz_bump"))
    assert migrate(fresh_dsn, scripts).returncode == 0
    # The trigger uses the old function until the script has run: it is dropped after.
    write(scripts, "triggers/zz_items.sql", TRIGGER.format(function="_zz_bump_again"))
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    assert not exists(fresh_dsn, "notifydb._zz_bump()")
    with psycopg.connect(fresh_dsn) as conn:
        function = conn.execute("SELECT tgfoid::regproc::text FROM pg_trigger WHERE tgname = 'zz_items_bump'")
        assert function.fetchone() == ("notifydb._zz_bump_again",)


def test_removing_a_script_something_depends_on_fails_naming_it(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    gone = write(scripts, "functions/zz_gone.sql", ONE_PARAMETER.replace("zz_add", "zz_gone"))
    assert migrate(fresh_dsn, scripts).returncode == 0
    add_versioned(
        scripts,
        "zz_view",
        "SET LOCAL ROLE notifydb_owner;\nCREATE VIEW notifydb.zz_view AS SELECT notifydb.zz_gone(1) AS answer;\n",
    )
    assert migrate(fresh_dsn, scripts).returncode == 0
    gone.unlink()
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 1
    assert (
        "functions/zz_gone.sql (removed): cannot drop function notifydb.zz_gone(integer)"
        " because other objects depend on it (SQLSTATE 2BP01)"
    ) in result.stderr
    assert "view notifydb.zz_view depends on function notifydb.zz_gone(integer)" in result.stderr
    assert exists(fresh_dsn, "notifydb.zz_gone(integer)")
    assert status(fresh_dsn, scripts).returncode == 3


def test_a_return_type_or_parameter_name_change_applies(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    grant = "GRANT EXECUTE ON FUNCTION notifydb.zz_add(integer) TO notifydb_app;\n"
    write(scripts, "functions/zz_add.sql", ONE_PARAMETER + grant)
    assert migrate(fresh_dsn, scripts).returncode == 0

    returns_text = ONE_PARAMETER.replace("RETURNS integer", "RETURNS text").replace("p_a + 1", "(p_a + 1)::text")
    write(scripts, "functions/zz_add.sql", returns_text + grant)
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    assert (
        "functions/zz_add.sql:2: cannot change return type of existing function;"
        " dropping notifydb.zz_add(integer) to create it again"
    ) in result.stdout

    write(scripts, "functions/zz_add.sql", returns_text.replace("p_a", "p_renamed") + grant)
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    assert 'cannot change name of input parameter "p_a"' in result.stdout
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT notifydb.zz_add(p_renamed => 1)").fetchone() == ("2",)
        assert conn.execute(
            "SELECT has_function_privilege('notifydb_app', 'notifydb.zz_add(integer)', 'EXECUTE')"
        ).fetchone() == (True,)
    assert last_row(fresh_dsn, "functions/zz_add.sql")[0] == ["function notifydb.zz_add(integer)"]


def test_an_invalid_routine_is_still_reported_at_its_line(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    write(scripts, "functions/zz_add.sql", "\n" + ADD.format(params="p_a integer, p_a integer", body="1"))
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 1
    assert 'functions/zz_add.sql:3: parameter name "p_a" used more than once (SQLSTATE 42P13)' in result.stderr


def test_every_repeatable_script_applies_again_when_touched(fresh_dsn: str, tmp_path: Path) -> None:
    scripts = copy_scripts(tmp_path)
    assert migrate(fresh_dsn, scripts).returncode == 0
    touched = [path for folder in REPEATABLE_DIRS for path in sorted((scripts / folder).glob("*.sql"))]
    for path in touched:
        path.write_text(path.read_text() + "\n-- touched\n")
    result = migrate(fresh_dsn, scripts)
    assert result.returncode == 0, result.stderr
    assert f"applied {len(touched)} script(s)" in result.stdout
