"""The pgTAP files of tests/pgtap/ on the Citus layout, each one test item.

They run as notifydb_owner, where the single-node suite runs them as the
superuser: Citus refuses a transaction that reads a shard as one role after
another role wrote it (each role has connections of its own to the
workers), and a file both calls the functions, which run as notifydb_owner,
and writes and reads the tables around them. For the files' SET ROLE and
session_replication_role and CREATE ROLE, the owner gets the other roles,
that parameter and CREATEROLE here, in the test cluster only.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.support import pgtap
from tests.test_pgtap import PGTAP_FILES


@pytest.fixture(scope="module")
def owner_dsn(migrated_dsn: str) -> str:
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        conn.execute(
            "GRANT notifydb_app, notifydb_admin, notifydb_retention, notifydb_delivery TO notifydb_owner"
            " WITH ADMIN OPTION"
        )
        conn.execute("GRANT SET ON PARAMETER session_replication_role TO notifydb_owner")
        conn.execute("ALTER ROLE notifydb_owner CREATEROLE")
    # The files' own objects (temporary functions, test roles) stay on the
    # coordinator, where the files use them.
    return make_conninfo(migrated_dsn, user="notifydb_owner", options="-c citus.enable_ddl_propagation=off")


@pytest.mark.parametrize("path", PGTAP_FILES, ids=lambda p: p.name)
def test_pgtap(path: Path, owner_dsn: str) -> None:
    problems = pgtap.check_file(owner_dsn, path)
    if problems:
        pytest.fail(f"{path.name}:\n" + "\n".join(problems), pytrace=False)
