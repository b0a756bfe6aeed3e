"""The installed package stands alone: it never reaches into a checkout for tests/, bench/ or SQL.

`notifydb test` and `notifydb bench` of an installed package say in one line that they need
a source checkout; in a checkout, `python runner.py test`, `python runner.py bench` and
`python -m bench` run them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notifydb.cli import main
from tests.support.cli import PROJECT_ROOT, run_cli

PACKAGE = PROJECT_ROOT / "notifydb"


@pytest.mark.parametrize(
    ("command", "instead"), [("test", "python runner.py test"), ("bench", "python -m bench")], ids=["test", "bench"]
)
def test_installed_test_and_bench_say_they_need_a_checkout(capsys, command: str, instead: str) -> None:
    assert main([command, "--scale", "0.1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"notifydb {command}: needs a source checkout of notifydb: run `{instead}`"), line


def test_the_package_never_puts_a_checkout_on_sys_path() -> None:
    offending = [
        str(path.relative_to(PROJECT_ROOT))
        for path in PACKAGE.rglob("*.py")
        if re.search(r"sys\.path|parents\[", path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_an_installed_package_takes_the_sql_it_carries(tmp_path: Path) -> None:
    """A wheel's layout (notifydb/sql/schema) wins over a schema/ folder that happens to lie beside it."""
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "notifydb", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT_ROOT / "schema", site / "notifydb" / "sql" / "schema")
    (site / "schema").mkdir()  # a stray folder of another distribution
    found = subprocess.run(
        [sys.executable, "-c", "from notifydb.migrations.scripts import default_root; print(default_root())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert Path(found.stdout.strip()) == site / "notifydb" / "sql"


def test_python_m_bench_runs_from_the_checkout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--help"], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m bench") and "--scale" in result.stdout


def test_the_runner_in_a_checkout_has_the_real_test_and_bench() -> None:
    bench = run_cli("bench", "--help")
    assert bench.returncode == 0 and "--scale" in bench.stdout, bench.stderr
    listed = run_cli("test", "-q", "-p", "no:cacheprovider", "--collect-only", "tests/test_package.py")
    assert listed.returncode == 0 and "tests/test_package.py::" in listed.stdout, listed.stderr


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_sql_client_alone_loads_neither_redis_nor_the_runners_parser() -> None:
    loaded = _python(
        "import sys, notifydb; notifydb.Client; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'redis', 'hiredis', 'idna', 'pglast'}))"
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


def test_without_the_redis_extra_the_limiter_says_what_to_install() -> None:
    # None in sys.modules makes `import redis` fail as a missing package does.
    missing = _python("import sys; sys.modules['redis'] = None; import notifydb; notifydb.RateLimiter")
    assert missing.returncode == 1
    assert (
        "ImportError: notifydb.RateLimiter needs Redis support: pip install 'notifydb[redis]'"
        in missing.stderr.strip().splitlines()[-1]
    )
