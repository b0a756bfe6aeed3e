"""What one transaction cannot show: read_at kept across later calls, bad input
writing nothing that commits, rows hidden by expiry left alone, dedupe on a
hidden first row."""

from __future__ import annotations

import time
from collections.abc import Iterator
from uuid import UUID, uuid4

import psycopg
import pytest

from notifydb import Client
from tests.support.notifications import counter_drift


@pytest.fixture
def conn(migrated_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        yield conn


def read_at(conn: psycopg.Connection, tenant_id: UUID, user_id: UUID | None, nid: UUID):
    """read_at as the functions report it (through the inbox's read horizon)."""
    return conn.execute(
        "SELECT read_at FROM notifydb.list_notifications(%s, %s, p_limit => 100) WHERE id = %s",
        (tenant_id, user_id, nid),
    ).fetchone()[0]


def test_the_first_read_at_stands_across_later_calls(conn: psycopg.Connection) -> None:
    client = Client(conn)
    tenant_id, user_id = uuid4(), uuid4()
    first, second = (client.create_notification(tenant_id, user_id, "T", f"t{i}", "m") for i in range(2))
    assert client.mark_read(tenant_id, user_id, [first]) == 1
    read_first = read_at(conn, tenant_id, user_id, first)
    time.sleep(0.01)
    assert client.mark_read(tenant_id, user_id, [first]) == 0
    assert client.mark_all_read(tenant_id, user_id) == 1
    read_second = read_at(conn, tenant_id, user_id, second)
    assert read_second > read_first
    time.sleep(0.01)
    assert client.mark_all_read(tenant_id, user_id) == 0
    assert client.mark_read(tenant_id, user_id, [first, second]) == 0
    assert (read_at(conn, tenant_id, user_id, first), read_at(conn, tenant_id, user_id, second)) == (
        read_first,
        read_second,
    )


BAD_CALLS = [
    ("SELECT notifydb.create_notification(%(t)s, %(u)s, '', 'title', 'message')", "p_type"),
    ("SELECT notifydb.create_notification(%(t)s, %(u)s, 'T', 'title', repeat('m', 2001))", "p_message"),
    ("SELECT notifydb.create_notification(%(t)s, %(u)s, 'T', 'title', 'm', 'sms')", "p_channel"),
    ("SELECT notifydb.create_notification(%(t)s, %(u)s, 'T', 'title', 'm', p_data => '[1]')", "p_data"),
    (
        "SELECT notifydb.create_notification(%(t)s, '00000000-0000-0000-0000-000000000000', 'T', 'title', 'm')",
        "p_user_id",
    ),
    ("SELECT notifydb.fan_out_notification(%(t)s, ARRAY[%(u)s, NULL], 'T', 'title', 'm', 'fax')", "p_channel"),
    (
        "SELECT notifydb.fan_out_notification(%(t)s,"
        " ARRAY[%(u)s, '00000000-0000-0000-0000-000000000000'::uuid], 'T', 'title', 'm')",
        "p_user_ids",
    ),
    ("SELECT notifydb.mark_read(%(t)s, %(u)s, NULL)", "p_ids"),
    ("SELECT notifydb.mark_all_read(NULL, %(u)s)", "p_tenant_id"),
    ("SELECT notifydb.mark_seen(%(t)s, %(u)s, NULL)", "p_up_to"),
    ("SELECT notifydb.delete_notifications(%(t)s, '00000000-0000-0000-0000-000000000000', '{}')", "p_user_id"),
]


@pytest.mark.parametrize(("statement", "parameter"), BAD_CALLS, ids=[p for _, p in BAD_CALLS])
def test_bad_input_commits_nothing(conn: psycopg.Connection, statement: str, parameter: str) -> None:
    """In autocommit, so that a write before the error would stay: nothing changes."""
    tenant_id, user_id = uuid4(), uuid4()
    Client(conn).create_notification(tenant_id, user_id, "T", "before", "m", channel="email")

    def state() -> list[tuple]:
        return conn.execute(
            "SELECT (SELECT count(*) FROM notifydb.notifications WHERE tenant_id = %(t)s),"
            " (SELECT count(*) FROM notifydb.delivery_outbox WHERE tenant_id = %(t)s),"
            " (SELECT array_agg(c::text) FROM notifydb.inbox_counters AS c WHERE tenant_id = %(t)s)",
            {"t": tenant_id},
        ).fetchall()

    before = state()
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=parameter):
        conn.execute(statement, {"t": tenant_id, "u": user_id})
    assert state() == before


def test_rows_hidden_by_expiry_are_left_alone(conn: psycopg.Connection) -> None:
    client = Client(conn)
    tenant_id, user_id = uuid4(), uuid4()
    kept = client.create_notification(tenant_id, user_id, "T", "kept", "m")
    expiring = conn.execute(
        "SELECT notifydb.create_notification(%s, %s, 'T', 'expiring', 'm',"
        " p_expires_at => clock_timestamp() + interval '200 milliseconds')",
        (tenant_id, user_id),
    ).fetchone()[0]
    assert client.unread_count(tenant_id, user_id) == 2
    time.sleep(0.3)
    assert client.unread_count(tenant_id, user_id) == 1
    assert client.mark_read(tenant_id, user_id, [expiring]) == 0
    assert client.delete_notifications(tenant_id, user_id, [expiring]) == 0
    assert client.mark_all_read(tenant_id, user_id) == 1
    assert client.mark_unread(tenant_id, user_id, [expiring, kept]) == 1
    assert [n.id for n in client.list_notifications(tenant_id, user_id, unread_only=True)] == [kept]
    assert client.unread_count(tenant_id, user_id) == 1
    assert counter_drift(conn.info.dsn, tenant_id) == []


def test_dedupe_against_a_hidden_first_row_creates_nothing(conn: psycopg.Connection) -> None:
    """The first row stands even when its recipient deleted it: the key was used."""
    client = Client(conn)
    tenant_id, user_id = uuid4(), uuid4()
    first = client.create_notification(tenant_id, user_id, "T", "first", "m", dedupe_key="quota-90")
    assert client.delete_notifications(tenant_id, user_id, [first]) == 1
    assert client.create_notification(tenant_id, user_id, "T", "again", "m", dedupe_key="quota-90") == first
    assert client.fan_out_notification(tenant_id, [user_id], "T", "again", "m", dedupe_key="quota-90") == 0
    assert client.list_notifications(tenant_id, user_id) == []
    assert client.unread_count(tenant_id, user_id) == 0
