"""Every tests/pgtap/*.sql file is one test item; it fails with its failing assertions."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.support import pgtap

PGTAP_FILES = sorted((Path(__file__).parent / "pgtap").glob("*.sql"))


def test_pgtap_files_exist() -> None:
    assert PGTAP_FILES, "tests/pgtap/ holds no .sql files"


@pytest.mark.parametrize("path", PGTAP_FILES, ids=lambda p: p.name)
def test_pgtap(path: Path, migrated_dsn: str) -> None:
    try:
        output = pgtap.run_file(migrated_dsn, path)
    except psycopg.Error as exc:
        pytest.fail(f"{path.name}: SQL error: {exc}", pytrace=False)
    problems = pgtap.failures(output)
    if problems:
        pytest.fail(f"{path.name}:\n" + "\n".join(problems), pytrace=False)
