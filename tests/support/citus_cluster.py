"""A throwaway Citus cluster on loopback: a coordinator and two workers, each a
LocalCluster (tests/support/cluster.py) from the same binaries with Citus
preloaded. `.ci/build-citus` builds those binaries (PG_BINDIR)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.cluster import ClusterUnavailable, LocalCluster, find_bindir
from tests.support.postgres_server import PgServer

WORKERS = 2

CITUS_SETTINGS = {
    "shared_preload_libraries": "citus",
    # Workers open connections to each other and to the coordinator for every
    # delegated call and distributed statement of the suite's threads.
    "max_connections": "300",
    # Loopback between nodes; with SSL, libpq in the server would look for
    # client certificates in the home of whoever started the tests.
    "citus.node_conninfo": "sslmode=disable",
    # Citus runs a maintenance daemon per database, and the tests make several.
    "max_worker_processes": "64",
    # Fewer shards than Citus's 32: DDL and multi-shard statements touch each
    # one, and 8 still spread tenants over both workers.
    "citus.shard_count": "8",
    # No telemetry from tests.
    "citus.enable_statistics_collection": "off",
    # Per-function execution counters: how the tests prove a call ran on one worker.
    "track_functions": "all",
}


def has_citus(bindir: Path) -> bool:
    output = subprocess.run([str(bindir / "pg_config"), "--pkglibdir"], capture_output=True, text=True, check=True)
    return (Path(output.stdout.strip()) / "citus.so").exists()


class CitusCluster:
    """Starts the nodes, makes databases on all of them, and stops everything."""

    def __init__(self) -> None:
        bindir = find_bindir()
        if not has_citus(bindir):
            raise ClusterUnavailable(
                f"the PostgreSQL in {bindir} has no Citus: build it with .ci/build-citus and set PG_BINDIR"
                " to the directory it prints"
            )
        self.coordinator = LocalCluster(CITUS_SETTINGS)
        self.workers = [LocalCluster(CITUS_SETTINGS) for _ in range(WORKERS)]

    @property
    def nodes(self) -> list[LocalCluster]:
        return [self.coordinator, *self.workers]

    def start(self) -> CitusCluster:
        started = []
        try:
            for node in self.nodes:
                started.append(node.start())
        except Exception:
            for node in started:
                node.stop()
            raise
        return self

    def stop(self) -> None:
        """Every node, even when one fails to stop (say, a crashed coordinator)."""
        failures = []
        for node in self.nodes:
            try:
                node.stop()
            except ClusterUnavailable as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def create_database(self, name: str) -> str:
        """Database `name` on every node with Citus in it and the workers joined; returns the coordinator's DSN."""
        for node in self.nodes:
            with psycopg.connect(node.dsn(), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            with psycopg.connect(node.dsn(name), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION citus")
        with psycopg.connect(self.coordinator.dsn(name), autocommit=True) as conn:
            conn.execute("SELECT pg_catalog.citus_set_coordinator_host('127.0.0.1', %s)", (self.coordinator.port,))
            for worker in self.workers:
                conn.execute("SELECT pg_catalog.citus_add_node('127.0.0.1', %s)", (worker.port,))
        return self.coordinator.dsn(name)

    def drop_database(self, name: str) -> None:
        for node in self.nodes:
            with psycopg.connect(node.dsn(), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def worker_dsns(self, coordinator_dsn: str) -> list[str]:
        """The workers' DSNs of the database `coordinator_dsn` names."""
        dbname = psycopg.conninfo.conninfo_to_dict(coordinator_dsn)["dbname"]
        return [worker.dsn(str(dbname)) for worker in self.workers]


class CitusServer(PgServer):
    """The PgServer of the single-node suite, on a Citus cluster: each database
    it creates exists on every node, with the workers joined, so the suite's
    fixtures (migrated_dsn, fresh_dsn) give Citus databases."""

    def __init__(self, cluster: CitusCluster) -> None:
        super().__init__(cluster.coordinator.dsn(), f"a throwaway Citus cluster from {cluster.coordinator.bindir}")
        self.cluster = cluster

    def create_database(self, prefix: str = "notifydb_test", template: str | None = None) -> str:
        if template:
            raise ValueError("Citus databases are not copied from templates: each is created on every node")
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self._created.append(name)
        return self.cluster.create_database(name)

    def drop_created(self) -> None:
        for name in self._created:
            self.cluster.drop_database(name)
        self._created.clear()
