"""Connected as a LOGIN role granted only notifydb_app: every notification function works,
every direct table access is denied."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

from notifydb import Client
from tests.support.roles import login_role

TABLES = [
    "notifydb.notifications",
    "notifydb.inbox_counters",
    "notifydb.admin_system_events",
    "notifydb.retention_policy",
    "notifydb.schema_history",
]
TENANT_TABLES = {"notifydb.notifications", "notifydb.inbox_counters", "notifydb.admin_system_events"}


@pytest.fixture
def app_dsn(migrated_dsn: str) -> Iterator[str]:
    with login_role(migrated_dsn, "notifydb_app") as dsn:
        yield dsn


def test_every_notification_function_works(app_dsn: str) -> None:
    tenant_id, user_id, other = uuid4(), uuid4(), uuid4()
    with psycopg.connect(app_dsn) as conn:
        client = Client(conn)
        nid = client.create_notification(tenant_id, user_id, "T", "title", "message", dedupe_key="k")
        assert client.fan_out_notification(tenant_id, [user_id, other], "T", "title", "message") == 2
        assert len(client.list_notifications(tenant_id, user_id)) == 2
        assert client.unread_count(tenant_id, user_id) == 2
        assert client.unseen_count(tenant_id, user_id) == 2
        assert client.mark_seen(tenant_id, user_id) == 2
        assert client.mark_read(tenant_id, user_id, [nid]) == 1
        assert client.mark_unread(tenant_id, user_id, [nid]) == 1
        assert client.mark_all_read(tenant_id, user_id) == 2
        assert client.delete_notifications(tenant_id, user_id, [nid]) == 1


@pytest.mark.parametrize("table", TABLES)
def test_direct_table_access_is_denied(app_dsn: str, table: str) -> None:
    statements = [
        f"SELECT * FROM {table}",
        f"DELETE FROM {table}",
        f"UPDATE {table} SET tenant_id = tenant_id" if table in TENANT_TABLES else None,
        f"TRUNCATE {table}",
    ]
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for statement in filter(None, statements):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_private_helpers_are_not_callable(app_dsn: str) -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for call in (
            "SELECT notifydb._rebuild_inbox_counters()",
            "SELECT notifydb._announce('create', gen_random_uuid(), NULL, NULL, 1)",
            "SELECT notifydb._check_text('p', 'v', 1, 2)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(call)
