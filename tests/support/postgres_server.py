"""Finding a PostgreSQL server for the tests, in the order the README gives:
NOTIFYDB_TEST_DSN, a throwaway local cluster, testcontainers, else a clear failure."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from notifydb.connection import describe_target
from notifydb.migrations import Migrator
from tests.support.cli import PROJECT_ROOT
from tests.support.cluster import ClusterUnavailable, LocalCluster

# postgres:15 itself has no pgTAP: point this at an image that adds
# postgresql-15-pgtap, or the server is refused with a message saying so.
CONTAINER_IMAGE = os.environ.get("NOTIFYDB_TEST_PG_IMAGE", "postgres:15")

# Every pgTAP file needs it. (The pg_cron tests start a cluster of their own
# from the local binaries: tests/test_retention_cron.py.)
REQUIRED_EXTENSIONS = ("pgtap",)


class ServerUnusable(Exception):
    """A server answered but the tests cannot pass on it."""


class PgServer:
    """A server the tests may create and drop their own databases on."""

    def __init__(self, admin_dsn: str, origin: str) -> None:
        self.admin_dsn = admin_dsn
        self.origin = origin
        self._created: list[str] = []

    def dsn(self, dbname: str) -> str:
        return make_conninfo(self.admin_dsn, dbname=dbname)

    def create_database(self, prefix: str = "notifydb_test", template: str | None = None) -> str:
        """A new database (a copy of `template`, a database name, if given); dropped at session end."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(statement)
        self._created.append(name)
        return self.dsn(name)

    def drop_created(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for name in self._created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self._created.clear()


def migrated(dsn: str) -> str:
    """Apply the project's scripts to the database at `dsn`, quietly; returns `dsn`."""
    Migrator(dsn, PROJECT_ROOT, log=lambda _line: None).migrate()
    return dsn


def lacking(admin_dsn: str, extensions: tuple[str, ...]) -> list[str]:
    """Which of `extensions` the server cannot install."""
    with psycopg.connect(admin_dsn) as conn:
        rows = conn.execute(
            "SELECT name FROM pg_catalog.pg_available_extensions WHERE name = ANY(%s)", (list(extensions),)
        ).fetchall()
    available = {name for (name,) in rows}
    return [name for name in extensions if name not in available]


def usable(
    found: tuple[PgServer, Callable[[], None]], extensions: tuple[str, ...] = REQUIRED_EXTENSIONS
) -> tuple[PgServer, Callable[[], None]]:
    """`found` if its server has `extensions`; else it is stopped and ServerUnusable says what is missing."""
    server, stop = found
    missing = lacking(server.admin_dsn, extensions)
    if missing:
        stop()
        raise ServerUnusable(
            f"{server.origin} lacks the extension(s) {', '.join(missing)}"
            " (Debian: apt-get install postgresql-15-pgtap; testcontainers: set NOTIFYDB_TEST_PG_IMAGE"
            " to a PostgreSQL 15 image that has them)"
        )
    return found


def _from_environment() -> tuple[PgServer, Callable[[], None]] | None:
    dsn = os.environ.get("NOTIFYDB_TEST_DSN")
    if not dsn:
        return None
    with psycopg.connect(dsn, connect_timeout=10):
        pass
    return PgServer(dsn, f"NOTIFYDB_TEST_DSN ({describe_target(dsn)})"), lambda: None


def _from_local_binaries() -> tuple[PgServer, Callable[[], None]]:
    cluster = LocalCluster().start()
    return PgServer(cluster.dsn(), f"a throwaway cluster from {cluster.bindir}"), cluster.stop


def _from_testcontainers() -> tuple[PgServer, Callable[[], None]]:
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(CONTAINER_IMAGE, username="postgres", password="postgres", dbname="postgres")
    container.start()
    dsn = container.get_connection_url(driver=None)
    return PgServer(dsn, f"testcontainers {CONTAINER_IMAGE}"), container.stop


def start_postgres() -> tuple[PgServer, Callable[[], None]]:
    """The first usable server; raises RuntimeError naming everything tried.

    A server named by NOTIFYDB_TEST_DSN is the one wanted: if it is unusable
    the tests fail rather than quietly use another.
    """
    found = _from_environment()
    if found:
        return usable(found)
    tried = ["NOTIFYDB_TEST_DSN: not set"]
    try:
        return usable(_from_local_binaries())
    except (ClusterUnavailable, ServerUnusable) as exc:
        tried.append(f"local binaries: {exc}")
    try:
        return usable(_from_testcontainers())
    except Exception as exc:  # docker missing, engine down, image pull refused, no pgTAP, ...
        tried.append(f"testcontainers: {type(exc).__name__}: {exc}")
    raise RuntimeError("no PostgreSQL server for the tests:\n  " + "\n  ".join(tried))
