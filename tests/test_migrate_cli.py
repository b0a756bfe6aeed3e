"""The command line as a DBA meets it: which database it uses, one clear line
when something is wrong, and `runner.py test` passing pytest's exit code on."""

from __future__ import annotations

import json

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.support.cli import run_cli
from tests.support.roles import login_role
from tests.test_migrate_basics import schema_exists

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nowhere"
DSN_VARIABLES = ("NOTIFYDB_DSN", "DATABASE_URL")
LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGPASSWORD")


def test_dsn_option_beats_the_environment(fresh_dsn: str) -> None:
    result = run_cli("migrate", "--dsn", fresh_dsn, env={"NOTIFYDB_DSN": UNREACHABLE, "DATABASE_URL": UNREACHABLE})
    assert result.returncode == 0, result.stderr
    assert schema_exists(fresh_dsn)


def test_notifydb_dsn_beats_database_url(fresh_dsn: str) -> None:
    result = run_cli("migrate", env={"NOTIFYDB_DSN": fresh_dsn, "DATABASE_URL": UNREACHABLE})
    assert result.returncode == 0, result.stderr
    assert schema_exists(fresh_dsn)


def test_database_url_alone(fresh_dsn: str) -> None:
    result = run_cli("migrate", env={"DATABASE_URL": fresh_dsn}, unset=("NOTIFYDB_DSN",))
    assert result.returncode == 0, result.stderr
    assert schema_exists(fresh_dsn)


def test_libpq_variables_when_no_dsn_is_given(fresh_dsn: str) -> None:
    params = conninfo_to_dict(fresh_dsn)
    env = {"PGHOST": params["host"], "PGPORT": params["port"], "PGUSER": params["user"], "PGDATABASE": params["dbname"]}
    result = run_cli("migrate", env=env, unset=DSN_VARIABLES + LIBPQ_VARIABLES)
    assert result.returncode == 0, result.stderr
    assert schema_exists(fresh_dsn)


def one_line(result, prefix: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [("migrate",), ("status",), ("retention",), ("retention", "--dry-run"), ("schedule",), ("relay", "--once")],
    ids=" ".join,
)
def test_unreachable_server_is_one_clear_line(command: tuple[str, ...]) -> None:
    """Every command that connects says so alike: one line, the target, libpq's reason."""
    line = one_line(run_cli(*command, "--dsn", UNREACHABLE), "notifydb: 127.0.0.1:1/nowhere as nobody:")
    assert "Connection refused" in line


def test_status_names_the_database_it_checked(fresh_dsn: str) -> None:
    """Without --dsn (libpq's PG* variables here), status says which database it compared."""
    params = conninfo_to_dict(fresh_dsn)
    env = {"PGHOST": params["host"], "PGPORT": params["port"], "PGUSER": params["user"], "PGDATABASE": params["dbname"]}
    result = run_cli("status", env=env, unset=DSN_VARIABLES + LIBPQ_VARIABLES)
    assert result.returncode == 3, result.stderr  # nothing applied yet
    target = f"{params['host']}:{params['port']}/{params['dbname']} as {params['user']}"
    assert result.stdout.splitlines()[0] == f"database {target}"
    as_json = run_cli("status", "--json", env=env, unset=DSN_VARIABLES + LIBPQ_VARIABLES)
    assert json.loads(as_json.stdout)["database"] == target


def test_malformed_dsn_is_one_clear_line() -> None:
    line = one_line(run_cli("migrate", "--dsn", "nonsense"), "notifydb: invalid DSN:")
    assert '"nonsense"' in line


def test_unknown_role_is_one_clear_line(fresh_dsn: str) -> None:
    dsn = make_conninfo(fresh_dsn, user="notifydb_test_no_such_role")
    line = one_line(run_cli("status", "--dsn", dsn), "notifydb: ")
    assert 'role "notifydb_test_no_such_role" does not exist' in line


def test_missing_privilege_is_one_clear_line(fresh_dsn: str) -> None:
    with login_role(fresh_dsn) as powerless:
        line = one_line(run_cli("migrate", "--dsn", powerless), "notifydb migrate: refusing to migrate: ")
    database = conninfo_to_dict(fresh_dsn)["dbname"]
    assert f"may not create schemas in database {database}" in line
    assert f"a superuser must run GRANT CREATE ON DATABASE {database} TO notifydb_test_login_" in line
    assert not schema_exists(fresh_dsn)


def test_a_misnamed_script_is_one_clear_line(fresh_dsn: str, tmp_path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "add_table.sql").write_text("SELECT 1;\n")
    line = one_line(run_cli("status", "--dsn", fresh_dsn, "--scripts-dir", str(tmp_path)), "notifydb: ")
    assert "schema/add_table.sql: versioned scripts are named V<number>__<description>.sql" in line


@pytest.mark.parametrize("command", [("migrate",), ("migrate", "--dry-run"), ("status",)])
@pytest.mark.parametrize("layout", ["no-such-dir", "no-schema-folder"])
def test_a_scripts_dir_that_is_not_one_is_one_clear_line(fresh_dsn: str, tmp_path, command, layout: str) -> None:
    scripts = tmp_path / "no" / "such" / "dir"
    if layout == "no-schema-folder":
        (scripts / "functions").mkdir(parents=True)
        (scripts / "functions" / "f.sql").write_text("SELECT 1;\n")
    line = one_line(run_cli(*command, "--dsn", fresh_dsn, "--scripts-dir", str(scripts)), "notifydb: ")
    expected = "does not exist" if layout == "no-such-dir" else "has no schema/ folder"
    assert line == f"notifydb: scripts directory {scripts} {expected}"
    assert not schema_exists(fresh_dsn)


def test_runner_test_passes_pytest_exit_code_on() -> None:
    # Selects nothing, so no test (and no server) runs: pytest exits 5.
    result = run_cli("test", "-q", "-p", "no:cacheprovider", "-k", "no_such_test_xyz", timeout=300)
    assert result.returncode == 5, result.stdout[-2000:]


def test_runner_test_runs_only_the_files_given() -> None:
    result = run_cli("test", "-q", "-p", "no:cacheprovider", "--collect-only", "tests/test_migrate_scripts.py")
    assert result.returncode == 0, result.stdout[-2000:]
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert collected and all(line.startswith("tests/test_migrate_scripts.py::") for line in collected), collected
