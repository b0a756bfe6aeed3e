"""The README read literally: its SQL runs in psql as written, its Python runs without warnings,
CI runs its test command, and no file of the repository points outside it."""

from __future__ import annotations

import re
import subprocess
import uuid
import warnings

import psycopg

from tests.support.cli import PROJECT_ROOT
from tests.support.postgres_server import migrated
from tests.support.psql import psql

README = PROJECT_ROOT / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


def test_ci_runs_the_readme_test_command_literally() -> None:
    [command] = [line for block in blocks("sh") for line in block.splitlines() if line.endswith("runner.py test")]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci, f".ci/run does not run the README's test command: {command}"


def test_readme_sql_runs_in_psql_as_written(fresh_dsn: str) -> None:
    """As a role granted notifydb_app, as the README says applications connect."""
    sql = blocks("sql")
    assert sql, "the README has no SQL example"
    result = subprocess.run(
        [str(psql()), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", migrated(fresh_dsn), "-f", "-"],
        input="SET ROLE notifydb_app;\n" + "\n".join(sql),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "quota-90" not in result.stderr and "ERROR" not in result.stderr, result.stderr


def test_readme_python_runs_without_warnings(migrated_dsn: str) -> None:
    [example] = [block for block in blocks("python") if "from notifydb import Client" in block]
    dsn = re.search(r'ConnectionPool\("([^"]+)"', example).group(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # psycopg_pool's DeprecationWarning for a pool opened implicitly
        scope = {"tenant_id": uuid.uuid4(), "user_id": uuid.uuid4()}
        exec(compile(example.replace(dsn, migrated_dsn), "README.md", "exec"), scope)
        scope["pool"].close()
    with psycopg.connect(migrated_dsn) as conn:
        [(read,)] = conn.execute(
            "SELECT is_read FROM notifydb.notifications WHERE tenant_id = %s", (scope["tenant_id"],)
        ).fetchall()
    assert read


def test_no_file_refers_to_anything_outside_the_repository() -> None:
    outside = ("../" + "shared", "/work/" + "shared", "CONTR" + "ACT")  # spelled apart: this file must not match
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    offending = []
    for name in filter(None, tracked):
        path = PROJECT_ROOT / name
        if not path.is_file() or path.suffix in (".png",):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offending += [f"{name}: {needle}" for needle in outside if needle in text]
    assert offending == []
