"""The pgTAP files of tests/pgtap/ on the Citus layout, each one test item.

They run as notifydb_owner, where the single-node suite runs them as the
superuser: Citus refuses a transaction that reads a shard as one role after
another role wrote it (each role has connections of its own to the workers),
and a file both calls the functions, which run as notifydb_owner, and reads
the tables to check them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg.conninfo import make_conninfo

from tests.support import pgtap
from tests.test_pgtap import PGTAP_FILES


@pytest.mark.parametrize("path", PGTAP_FILES, ids=lambda p: p.name)
def test_pgtap(path: Path, migrated_dsn: str) -> None:
    problems = pgtap.check_file(make_conninfo(migrated_dsn, user="notifydb_owner"), path)
    if problems:
        pytest.fail(f"{path.name}:\n" + "\n".join(problems), pytrace=False)
