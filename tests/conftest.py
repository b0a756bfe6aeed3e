"""Fixtures shared by the whole suite: a PostgreSQL server and databases on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.postgres_server import PgServer, migrated, start_postgres

PROJECT_ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.fixtures_redis"]


# Where the session's PostgreSQL came from, for the summary at the end.
PG_ORIGIN = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if PG_ORIGIN in config.stash:
        terminalreporter.write_line(f"PostgreSQL for these tests: {config.stash[PG_ORIGIN]}")


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[PgServer]:
    try:
        server, stop = start_postgres()
    except Exception as exc:
        pytest.fail(str(exc), pytrace=False)
    request.config.stash[PG_ORIGIN] = server.origin
    try:
        yield server
        server.drop_created()
    finally:
        stop()


@pytest.fixture(scope="session")
def migrated_dsn(pg_server: PgServer) -> str:
    """A database migrated with the project's scripts, with pgTAP installed."""
    dsn = migrated(pg_server.create_database("notifydb_test_migrated"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
    return dsn


@pytest.fixture
def fresh_dsn(pg_server: PgServer) -> str:
    """An empty database of this test's own."""
    return pg_server.create_database()
