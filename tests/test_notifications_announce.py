"""NOTIFY notifydb: one small JSON announcement per call that changed rows, after commit only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from notifydb import AnnouncementOp, Client
from notifydb.listener import MAX_ANNOUNCED_IDS


class Listener:
    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.conn.execute("LISTEN notifydb")

    def payloads(self, tenant_id: UUID, wait: float = 0.3) -> list[str]:
        """Payloads of the announcements for this tenant that arrived within ``wait`` seconds."""
        payloads = [n.payload for n in self.conn.notifies(timeout=wait) if n.channel == "notifydb"]
        return [payload for payload in payloads if json.loads(payload)["tenant_id"] == str(tenant_id)]

    def received(self, tenant_id: UUID, wait: float = 0.3) -> list[dict[str, Any]]:
        """Announcements for this tenant that arrived within ``wait`` seconds, parsed, without their seq."""
        events = []
        for payload in self.payloads(tenant_id, wait):
            assert len(payload.encode()) < 1000
            event = json.loads(payload)
            assert isinstance(event.pop("seq"), int)
            events.append(event)
        return events


@pytest.fixture
def listener(migrated_dsn: str) -> Iterator[Listener]:
    listening = Listener(migrated_dsn)
    yield listening
    listening.conn.close()


def test_announced_only_after_commit(migrated_dsn: str, listener: Listener) -> None:
    tenant_id, user_id = uuid4(), uuid4()
    with psycopg.connect(migrated_dsn) as conn:
        nid = conn.execute(
            "SELECT notifydb.create_notification(%s, %s, 'T', 'secret title', 'secret message')", (tenant_id, user_id)
        ).fetchone()[0]
        assert listener.received(tenant_id) == []  # still uncommitted
        conn.commit()
    assert listener.received(tenant_id) == [
        {"op": "create", "tenant_id": str(tenant_id), "user_id": str(user_id), "ids": [str(nid)]}
    ]


def test_nothing_for_rolled_back_work(migrated_dsn: str, listener: Listener) -> None:
    tenant_id = uuid4()
    with psycopg.connect(migrated_dsn) as conn:
        conn.execute("SELECT notifydb.create_notification(%s, NULL, 'T', 't', 'm')", (tenant_id,))
        conn.execute("SELECT notifydb.fan_out_notification(%s, ARRAY[gen_random_uuid()], 'T', 't', 'm')", (tenant_id,))
        conn.rollback()
    assert listener.received(tenant_id) == []


def test_one_announcement_per_call_with_ids_or_a_count(migrated_dsn: str, listener: Listener) -> None:
    tenant_id, user_id = uuid4(), uuid4()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        client = Client(conn)
        ids = [client.create_notification(tenant_id, user_id, "T", f"t{i}", "m") for i in range(20)]
        assert len(listener.received(tenant_id)) == 20
        user = str(user_id)

        client.mark_read(tenant_id, user_id, ids[:3])
        (read,) = listener.received(tenant_id)
        assert read["op"] == "read" and read["user_id"] == user
        assert sorted(read["ids"]) == sorted(map(str, ids[:3]))
        client.mark_read(tenant_id, user_id, ids[:3])  # nothing changes: nothing announced
        client.mark_unread(tenant_id, user_id, ids)  # 3 rows
        client.delete_notifications(tenant_id, user_id, ids[3:])  # 17 rows: a count
        client.create_notification(tenant_id, user_id, "T", "t", "m", dedupe_key="k")
        client.create_notification(tenant_id, user_id, "T", "t", "m", dedupe_key="k")  # deduplicated: silent
        client.mark_seen(tenant_id, user_id)  # only the new one: reading marked the others seen
        client.mark_all_read(tenant_id, user_id)
        client.mark_all_read(tenant_id, user_id)  # nothing left: silent
        events = listener.received(tenant_id)
    assert [e["op"] for e in events] == ["unread", "delete", "create", "seen", "read_all"]
    assert sorted(events[0]["ids"]) == sorted(map(str, ids[:3]))
    assert events[1]["count"] == 17 and "ids" not in events[1]
    assert events[3]["count"] == 1 and events[4]["count"] == 4
    assert all(e["user_id"] == user for e in events)


def test_fan_out_to_10000_users_is_one_small_announcement(migrated_dsn: str, listener: Listener) -> None:
    tenant_id = uuid4()
    users = [uuid4() for _ in range(10_000)]
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        created = Client(conn).fan_out_notification(tenant_id, users, "T", "title", "message")
    assert created == 10_000
    assert listener.received(tenant_id, wait=1) == [
        {"op": "fan_out", "tenant_id": str(tenant_id), "user_id": None, "count": 10_000}
    ]


def test_equal_calls_in_one_transaction_are_announced_each(migrated_dsn: str, listener: Listener) -> None:
    """Postgres folds equal NOTIFY payloads of a transaction: seq keeps them apart."""
    tenant_id, user_id = uuid4(), uuid4()
    with psycopg.connect(migrated_dsn) as conn:
        client = Client(conn)
        [nid] = [client.create_notification(tenant_id, user_id, "T", "t", "m")]
        listener.received(tenant_id)
        with conn.transaction():
            for _ in range(2):
                client.mark_read(tenant_id, user_id, [nid])
                client.mark_unread(tenant_id, user_id, [nid])
    events = listener.received(tenant_id)
    assert [e["op"] for e in events] == ["read", "unread", "read", "unread"]
    assert events[0] == events[2] and events[1] == events[3], "equal but for seq, and still two of each"


def test_the_largest_announcement_stays_under_1000_bytes(migrated_dsn: str, listener: Listener) -> None:
    """The most ids an announcement carries, with the longest op that carries ids and the widest seq."""
    tenant_id, user_id = uuid4(), uuid4()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        client = Client(conn)
        ids = [client.create_notification(tenant_id, user_id, "T", f"t{i}", "m") for i in range(MAX_ANNOUNCED_IDS + 1)]
        listener.payloads(tenant_id)
        # unread is as long as any op that carries ids (create, read, unread, delete).
        assert max(len(op) for op in ("create", "read", "unread", "delete")) == len(AnnouncementOp.UNREAD)
        client.mark_read(tenant_id, user_id, ids[:MAX_ANNOUNCED_IDS])
        listener.payloads(tenant_id)
        client.mark_unread(tenant_id, user_id, ids[:MAX_ANNOUNCED_IDS])
        client.delete_notifications(tenant_id, user_id, ids)
        largest, counted = listener.payloads(tenant_id)
    assert len(json.loads(largest)["ids"]) == MAX_ANNOUNCED_IDS, "the package's limit is the database's"
    assert "ids" not in json.loads(counted) and json.loads(counted)["count"] == MAX_ANNOUNCED_IDS + 1
    seq = str(json.loads(largest)["seq"])
    widest = len(largest.encode()) - len(seq) + len(str(2**63 - 1))
    assert widest < 1000, f"{widest} bytes"
