"""What only a Citus cluster has: the layout migrate gives it, and the
cross-tenant work (retention, relays) spread over both workers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from notifydb import Client
from notifydb.migrations import Migrator
from tests.support.citus_cluster import CitusCluster
from tests.support.cli import PROJECT_ROOT
from tests.support.delivery import drain_with_relays
from tests.support.notifications import counter_drift
from tests.support.roles import login_role


def _worker_of(conn: psycopg.Connection, tenant: uuid.UUID) -> int:
    return conn.execute(
        "SELECT p.nodeport FROM pg_catalog.pg_dist_shard_placement AS p"
        " WHERE p.shardid = pg_catalog.get_shard_id_for_distribution_column('notifydb.notifications', %s::uuid)",
        (str(tenant),),
    ).fetchone()[0]


def _tenants_on_both_workers(conn: psycopg.Connection, per_worker: int) -> list[uuid.UUID]:
    """`per_worker` tenants held by each worker."""
    chosen: dict[int, list[uuid.UUID]] = {}
    while len(chosen) < 2 or any(len(tenants) < per_worker for tenants in chosen.values()):
        tenant = uuid.uuid4()
        found = chosen.setdefault(_worker_of(conn, tenant), [])
        if len(found) < per_worker:
            found.append(tenant)
    return [tenant for tenants in chosen.values() for tenant in tenants]


def test_migrate_from_empty_gives_the_citus_layout_and_is_idempotent(pg_server) -> None:
    dsn = pg_server.create_database("notifydb_test_layout")
    lines: list[str] = []
    first = Migrator(dsn, PROJECT_ROOT, log=lines.append).migrate()
    assert any(step.name == "citus/900_distribute.sql" for step in first), lines
    assert Migrator(dsn, PROJECT_ROOT, log=lines.append).migrate() == []
    assert Migrator(dsn, PROJECT_ROOT).status().up_to_date
    with psycopg.connect(dsn) as conn:
        layout = dict(
            conn.execute(
                "SELECT p.logicalrelid::text, p.partmethod::text || coalesce(':' || c.colocationid::text, '')"
                " FROM pg_catalog.pg_dist_partition AS p"
                " LEFT JOIN pg_catalog.pg_dist_colocation AS c ON c.colocationid = p.colocationid"
                " AND p.partmethod = 'h'"
                " WHERE p.logicalrelid::text LIKE 'notifydb.%'"
            ).fetchall()
        )
        delegated = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_dist_object AS o"
            " JOIN pg_catalog.pg_proc AS p ON o.classid = 'pg_catalog.pg_proc'::regclass AND o.objid = p.oid"
            " WHERE o.distribution_argument_index IS NOT NULL"
            " AND o.colocationid = (SELECT colocationid FROM pg_catalog.pg_dist_partition"
            " WHERE logicalrelid = 'notifydb.notifications'::regclass)"
        ).fetchone()[0]
    hashed = {table: kind for table, kind in layout.items() if kind.startswith("h")}
    assert set(hashed) == {"notifydb.notifications", "notifydb.inbox_counters", "notifydb.delivery_outbox"}
    assert len(set(hashed.values())) == 1, f"not colocated: {hashed}"
    assert layout["notifydb.retention_policy"] == "n" and layout["notifydb.delivery_policy"] == "n"
    assert "notifydb.admin_system_events" not in layout, "system events stay on the coordinator"
    assert delegated == 10


def test_retention_purges_on_both_workers_and_keeps_counters_exact(migrated_dsn: str) -> None:
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        tenants = _tenants_on_both_workers(conn, 3)
        for tenant in tenants:
            user = uuid.uuid4()
            conn.execute(
                "SELECT notifydb.fan_out_notification(%s, %s, 'T', 'old', 'm')", (tenant, [user, uuid.uuid4()])
            )
            conn.execute("SELECT notifydb.create_notification(%s, %s, 'T', 'kept', 'm')", (tenant, user))
        # Backdated past notification_max_age (90 days) by a DBA, as a bulk load would.
        conn.execute(
            "UPDATE notifydb.notifications SET created_at = now() - interval '100 days'"
            " WHERE tenant_id = ANY(%s) AND title = 'old'",
            (tenants,),
        )
        conn.execute("CALL notifydb.run_retention()")
        left = dict(
            conn.execute(
                "SELECT title, count(*) FROM notifydb.notifications WHERE tenant_id = ANY(%s) GROUP BY title",
                (tenants,),
            ).fetchall()
        )
    assert left == {"kept": len(tenants)}
    assert all(counter_drift(migrated_dsn, tenant) == [] for tenant in tenants)


def test_four_relays_drain_jobs_of_both_workers_exactly_once(migrated_dsn: str) -> None:
    """As on one node, no job is handed to two relays. Unlike one node, relays
    wait for each other's claims rather than skip them (docs/citus.md), so the
    work is not necessarily shared."""
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        tenants = _tenants_on_both_workers(conn, 5)
        ids = [
            conn.execute("SELECT notifydb.create_notification(%s, NULL, 'T', 't', 'm', 'email')", (tenant,)).fetchone()[
                0
            ]
            for tenant in tenants
            for _ in range(40)
        ]
    with login_role(migrated_dsn, "notifydb_delivery") as relay_dsn:
        delivered = drain_with_relays(relay_dsn, relays=4, batch_size=25)
    jobs = [job for relay_jobs in delivered for job in relay_jobs]
    assert sorted(job.notification_id for job in jobs) == sorted(ids), "a job was lost or handed out twice"
    with psycopg.connect(migrated_dsn) as conn:
        statuses = dict(
            conn.execute(
                "SELECT delivery_status, count(*) FROM notifydb.notifications WHERE id = ANY(%s) GROUP BY 1", (ids,)
            ).fetchall()
        )
        left = conn.execute("SELECT count(*) FROM notifydb.delivery_outbox WHERE tenant_id = ANY(%s)", (tenants,))
        assert left.fetchone()[0] == 0
    assert statuses == {"sent": len(ids)}


def test_announcements_are_heard_on_the_worker_that_made_them(citus_cluster: CitusCluster, migrated_dsn: str) -> None:
    """A per-tenant call runs on its tenant's worker, and so does its NOTIFY: a
    listener on the coordinator hears nothing, one on that worker hears it."""
    tenant, user = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        port = _worker_of(conn, tenant)
    [worker_dsn] = [dsn for dsn in citus_cluster.worker_dsns(migrated_dsn) if f":{port}/" in dsn]
    with (
        psycopg.connect(migrated_dsn, autocommit=True) as coordinator,
        psycopg.connect(worker_dsn, autocommit=True) as worker,
    ):
        coordinator.execute("LISTEN notifydb")
        worker.execute("LISTEN notifydb")
        coordinator.execute("SELECT notifydb.create_notification(%s, %s, 'T', 't', 'm')", (tenant, user))
        heard = [n.payload for n in worker.notifies(timeout=5, stop_after=1)]
        not_heard = list(coordinator.notifies(timeout=1))
    assert len(heard) == 1 and str(tenant) in heard[0]
    assert not_heard == []


@pytest.mark.parametrize("up_to", [None, datetime.now(UTC) + timedelta(minutes=1)])
def test_the_client_s_up_to_calls_are_delegated_too(migrated_dsn: str, up_to: datetime | None) -> None:
    """mark_all_read's statement computes its default (COALESCE(..., now())): still one call on one worker."""
    tenant, user = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        client = Client(conn)
        client.create_notification(tenant, user, "T", "t", "m")
        assert client.mark_all_read(tenant, user, up_to) == 1
        assert client.unread_count(tenant, user) == 0
