"""A managed-style install, with no superuser anywhere: a LOGIN role with only
CREATEDB and CREATEROLE creates its database, migrates it and grants the
notifydb roles to its applications' LOGIN roles, which then do their work.

Where the notifydb roles exist already (another database's install made them)
the installer must be able to grant them: PostgreSQL 15 lets CREATEROLE grant
any role but a superuser one; 16 and later want ADMIN OPTION on each, and
migrate says in one line what a superuser must grant, before changing anything.

Roles are cluster-wide and the shared test server has had them since its first
migration, so each test starts a cluster of its own (from the same binaries).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.support.cli import run_cli
from tests.support.cluster import LocalCluster
from tests.support.postgres_server import migrated

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000e1")
USER = uuid.UUID("00000000-0000-0000-0000-0000000000e2")
ALL_ROLES = "notifydb_owner, notifydb_app, notifydb_admin, notifydb_retention, notifydb_delivery"


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    cluster = LocalCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True)


def server_version(cluster: LocalCluster) -> int:
    with connect(cluster.dsn()) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0])


def installer_database(cluster: LocalCluster, installer: str, database: str) -> str:
    """`installer`, a LOGIN role with only CREATEDB and CREATEROLE, creates `database`; its DSN as the installer."""
    with connect(cluster.dsn()) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE").format(sql.Identifier(installer)))
    installer_dsn = make_conninfo(cluster.dsn(), user=installer)
    with connect(installer_dsn) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return make_conninfo(installer_dsn, dbname=database)


def service(installer_dsn: str, name: str, role: str) -> str:
    """As the installer: a LOGIN role for an application, granted `role`; its DSN."""
    with connect(installer_dsn) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(name)))
    return make_conninfo(installer_dsn, user=name)


def assert_installed_by(dsn: str, installer: str) -> None:
    """Migrated by `installer`, no superuser, with every notifydb relation owned by notifydb_owner."""
    with connect(dsn) as conn:
        assert conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False, True, True)
        assert conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone() == (installer,)
        assert conn.execute("SELECT DISTINCT installed_by FROM notifydb.schema_history").fetchall() == [(installer,)]
        assert conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'notifydb'::regnamespace"
            " AND relowner <> 'notifydb_owner'::regrole"
        ).fetchone() == (0,)


def assert_each_role_does_its_work(installer_dsn: str, prefix: str) -> None:
    """The installer grants each notifydb role to a LOGIN role of its own; each calls what it is for."""
    app = service(installer_dsn, f"{prefix}_app", "notifydb_app")
    admin = service(installer_dsn, f"{prefix}_admin", "notifydb_admin")
    retention = service(installer_dsn, f"{prefix}_retention", "notifydb_retention")
    delivery = service(installer_dsn, f"{prefix}_delivery", "notifydb_delivery")
    with connect(app) as conn:
        conn.execute(
            "SELECT notifydb.create_notification(%s, %s, 'WELCOME', 'Hello', 'First', p_channel => 'email')",
            (TENANT, USER),
        )
        assert conn.execute("SELECT notifydb.unread_count(%s, %s)", (TENANT, USER)).fetchone() == (1,)
    with connect(admin) as conn:
        event_id = conn.execute("SELECT notifydb.record_event('quota', 'high', 'Quota reached')").fetchone()[0]
        assert conn.execute("SELECT notifydb.resolve_event(%s, %s)", (event_id, USER)).fetchone() == (True,)
        assert [row[0] for row in conn.execute("SELECT id FROM notifydb.list_events()")] == [event_id]
    with connect(retention) as conn:
        conn.execute("CALL notifydb.run_retention()")
    with connect(delivery) as conn:
        claimed = conn.execute("SELECT job_id, channel FROM notifydb.claim_deliveries(10)").fetchall()
        assert [channel for _, channel in claimed] == ["email"]
        assert conn.execute("SELECT notifydb.complete_deliveries(%s)", ([claimed[0][0]],)).fetchone() == (1,)


def test_an_installer_with_createdb_and_createrole_migrates_its_database_and_each_role_works(cluster):
    dsn = installer_database(cluster, "installer", "notifications")

    result = run_cli("migrate", "--dsn", dsn)

    assert result.returncode == 0, result.stderr
    assert run_cli("status", "--dsn", dsn).returncode == 0
    assert_installed_by(dsn, "installer")
    assert_each_role_does_its_work(dsn, "svc")


def test_roles_another_install_made_need_admin_option_on_16_and_later(cluster):
    """A superuser's install of another database made the roles; a second installer then migrates its own."""
    migrated(cluster.dsn())
    dsn = installer_database(cluster, "second_installer", "notifications")

    result = run_cli("migrate", "--dsn", dsn)

    if server_version(cluster) < 160000:
        # CREATEROLE may grant any role that is not a superuser one.
        assert result.returncode == 0, result.stderr
    else:
        statement = f"GRANT {ALL_ROLES} TO second_installer WITH ADMIN OPTION;"
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            "notifydb migrate: refusing to migrate: second_installer may not grant the roles"
            f" {ALL_ROLES}, which exist already (that takes ADMIN OPTION on a role, or CREATEROLE before"
            f" PostgreSQL 16): a superuser must run {statement}"
        ]
        dry_run = run_cli("migrate", "--dsn", dsn, "--dry-run")
        assert dry_run.returncode == 1 and statement in dry_run.stdout
        with connect(dsn) as conn:
            assert conn.execute("SELECT to_regnamespace('notifydb')").fetchone() == (None,), "nothing changed"
        with connect(cluster.dsn()) as conn:
            conn.execute(statement)
        result = run_cli("migrate", "--dsn", dsn)
        assert result.returncode == 0, result.stderr
    assert_installed_by(dsn, "second_installer")
    assert_each_role_does_its_work(dsn, "second")
