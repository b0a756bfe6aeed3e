"""Fixtures shared by the whole suite: a PostgreSQL server and databases on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.cluster import ClusterUnavailable, find_bindir, has_pg_cron, server_major
from tests.support.postgres_server import PgServer, migrated, start_postgres

PROJECT_ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.fixtures_redis"]


# Where the session's PostgreSQL came from, for the summary at the end.
PG_ORIGIN = pytest.StashKey[str]()
# Why the needs_pg_cron tests were left out, if they were, for the same summary.
PG_CRON_LEFT_OUT = pytest.StashKey[str]()
# How many Citus tests the run left out, for the same summary.
CITUS_LEFT_OUT = pytest.StashKey[str]()

# The PostgreSQL whose pg_cron the tests insist on: Debian 12 packages pg_cron
# for it (postgresql-15-cron), and CI installs it. The relocatable 16..18
# builds (.ci/install-postgres) have none, and it cannot be built here.
PG_CRON_REQUIRED_ON = 15


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the needs_pg_cron tests, saying so, where the local binaries
    (which those tests start clusters from) have no pg_cron, except on 15;
    and the Citus suite unless `-m` names it (a run of its own)."""
    _leave_out_citus(config, items)
    marked = [item for item in items if item.get_closest_marker("needs_pg_cron")]
    reason = _pg_cron_unavailable() if marked else None
    if reason is None:
        return
    config.hook.pytest_deselected(items=marked)
    items[:] = [item for item in items if not item.get_closest_marker("needs_pg_cron")]
    config.stash[PG_CRON_LEFT_OUT] = f"{len(marked)} tests marked needs_pg_cron left out: {reason}"


def _leave_out_citus(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "citus" in (config.option.markexpr or ""):
        return
    citus = [item for item in items if item.get_closest_marker("citus")]
    if citus:
        config.hook.pytest_deselected(items=citus)
        items[:] = [item for item in items if not item.get_closest_marker("citus")]
        config.stash[CITUS_LEFT_OUT] = (
            f"{len(citus)} Citus tests left out: they run on their own, `pytest -m citus tests/citus`"
            " with PG_BINDIR from .ci/build-citus"
        )


def _pg_cron_unavailable() -> str | None:
    try:
        bindir = find_bindir()
    except ClusterUnavailable:
        return None  # the tests fail saying so
    if has_pg_cron(bindir):
        return None
    major = server_major(bindir)
    if major == PG_CRON_REQUIRED_ON:
        return None  # they run and fail: install postgresql-15-cron
    return f"the PostgreSQL {major} in {bindir} has no pg_cron (required on {PG_CRON_REQUIRED_ON} only)"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if PG_ORIGIN in config.stash:
        terminalreporter.write_line(f"PostgreSQL for these tests: {config.stash[PG_ORIGIN]}")
    if PG_CRON_LEFT_OUT in config.stash:
        terminalreporter.write_line(config.stash[PG_CRON_LEFT_OUT])
    if CITUS_LEFT_OUT in config.stash:
        terminalreporter.write_line(config.stash[CITUS_LEFT_OUT])


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
