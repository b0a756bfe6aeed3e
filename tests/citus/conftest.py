"""The Citus suite: the same fixtures as the single-node suite (migrated_dsn,
fresh_dsn), on a coordinator and two workers started for the session
(tests/support/citus_cluster.py). Every test here is marked `citus`: the
default run leaves them out, and `pytest -m citus tests/citus` runs them,
failing (never skipping) where the binaries have no Citus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.citus_cluster import CitusCluster, CitusServer
from tests.support.postgres_server import PgServer

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.citus)


@pytest.fixture(scope="session")
def citus_cluster() -> Iterator[CitusCluster]:
    try:
        cluster = CitusCluster().start()
    except Exception as exc:
        pytest.fail(f"no Citus cluster for the Citus suite: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_server(citus_cluster: CitusCluster) -> Iterator[PgServer]:
    """Overrides the single-node suite's server: its databases are Citus databases."""
    server = CitusServer(citus_cluster)
    try:
        yield server
    finally:
        server.drop_created()
