"""The LISTEN helper: typed announcements, only after commit, never for rolled-back work.

The notifications functions that announce live on another branch; here the
announcements are sent by hand in the agreed payload format.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from notifydb import Announcement, AnnouncementListener
from notifydb.listener import MalformedAnnouncement

TENANT, USER = uuid.uuid4(), uuid.uuid4()


@pytest.fixture(scope="module")
def dsn(pg_server) -> str:
    return pg_server.create_database("notifydb_test_listener")


def announce(conn: psycopg.Connection, payload: dict | str) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    conn.execute("SELECT pg_notify('notifydb', %s)", (text,))


def test_announcements_arrive_typed_after_commit_only(dsn: str) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    with AnnouncementListener(dsn) as listener, psycopg.connect(dsn) as sender:
        announce(sender, {"op": "create", "tenant_id": str(TENANT), "user_id": str(USER), "ids": [str(ids[0])]})
        assert list(listener.announcements(timeout=0.3)) == [], "nothing is delivered before commit"
        sender.commit()
        announce(sender, {"op": "read", "tenant_id": str(TENANT), "user_id": str(USER), "ids": [str(i) for i in ids]})
        sender.rollback()
        announce(sender, {"op": "fan_out", "tenant_id": str(TENANT), "user_id": None, "count": 10_000})
        announce(sender, "not json at all")
        announce(sender, {"op": "mark_all_read", "user_id": str(USER), "count": 3})
        sender.commit()
        received = list(listener.announcements(timeout=0.5))
    assert received == [
        Announcement(op="create", tenant_id=TENANT, user_id=USER, ids=(ids[0],), count=1),
        Announcement(op="fan_out", tenant_id=TENANT, user_id=None, ids=None, count=10_000),
    ], "the rolled-back announcement and the malformed ones are not yielded"


def test_stop_after_ends_the_stream(dsn: str) -> None:
    with AnnouncementListener(dsn) as listener, psycopg.connect(dsn, autocommit=True) as sender:
        for op in ("delete", "seen"):
            announce(sender, {"op": op, "tenant_id": str(TENANT), "user_id": str(USER), "count": 1})
        assert [a.op for a in listener.announcements(timeout=5, stop_after=2)] == ["delete", "seen"]


@pytest.mark.parametrize(
    "payload",
    [
        "[]",
        '{"op": "create"}',
        '{"op": "create", "tenant_id": "nope", "count": 1}',
        '{"op": 7, "tenant_id": "00000000-0000-0000-0000-000000000001", "count": 1}',
        '{"op": "create", "tenant_id": "00000000-0000-0000-0000-000000000001", "ids": ["x"]}',
    ],
)
def test_malformed_payloads_are_refused(payload: str) -> None:
    with pytest.raises(MalformedAnnouncement):
        Announcement.from_payload(payload)
