"""The LISTEN helper fed by the real functions: typed announcements, only after commit, never for rolled-back work."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from notifydb import Announcement, AnnouncementListener, AnnouncementOp, Client
from notifydb.listener import MalformedAnnouncement
from tests.support.postgres_server import migrated


@pytest.fixture(scope="module")
def dsn(pg_server) -> str:
    return migrated(pg_server.create_database("notifydb_test_listener"))


def test_every_function_s_announcement_arrives_typed(dsn: str) -> None:
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    with AnnouncementListener(dsn) as listener, psycopg.connect(dsn, autocommit=True) as conn:
        client = Client(conn)
        first = client.create_notification(tenant_id, user_id, "T", "title", "message", channel="email")
        second = client.create_notification(tenant_id, user_id, "T", "title", "message")
        client.fan_out_notification(tenant_id, [uuid.uuid4() for _ in range(3)], "T", "title", "message")
        client.mark_seen(tenant_id, user_id)
        client.mark_read(tenant_id, user_id, [first])
        client.mark_unread(tenant_id, user_id, [first])
        client.mark_all_read(tenant_id, user_id)
        client.delete_notifications(tenant_id, user_id, [first, second])
        received = list(listener.announcements(timeout=5, stop_after=8))
    # The order of several ids is the function's; compare them sorted.
    assert [(a.op, a.user_id, a.ids and tuple(sorted(a.ids)), a.count) for a in received] == [
        (AnnouncementOp.CREATE, user_id, (first,), 1),
        (AnnouncementOp.CREATE, user_id, (second,), 1),
        (AnnouncementOp.FAN_OUT, None, None, 3),
        (AnnouncementOp.SEEN, user_id, None, 2),
        (AnnouncementOp.READ, user_id, (first,), 1),
        (AnnouncementOp.UNREAD, user_id, (first,), 1),
        (AnnouncementOp.READ_ALL, user_id, None, 2),
        (AnnouncementOp.DELETE, user_id, tuple(sorted((first, second))), 2),
    ]
    assert {a.op for a in received} == set(AnnouncementOp), "every operation the package names is announced"
    assert all(type(a.op) is AnnouncementOp and a.tenant_id == tenant_id for a in received)
    seqs = [a.seq for a in received]
    assert all(isinstance(seq, int) for seq in seqs) and len(set(seqs)) == 8


def test_only_committed_work_arrives(dsn: str) -> None:
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    with AnnouncementListener(dsn) as listener, psycopg.connect(dsn, autocommit=True) as conn:
        client = Client(conn)
        with conn.transaction():
            kept = client.create_notification(tenant_id, user_id, "T", "title", "message")
            assert list(listener.announcements(timeout=0.3)) == [], "nothing is delivered before commit"
        with conn.transaction():
            client.fan_out_notification(tenant_id, [uuid.uuid4()], "T", "title", "message")
            client.mark_read(tenant_id, user_id, [kept])
            raise psycopg.Rollback()
        client.mark_all_read(tenant_id, user_id)
        received = list(listener.announcements(timeout=0.5))
    assert [(a.op, a.ids, a.count) for a in received] == [
        (AnnouncementOp.CREATE, (kept,), 1),
        (AnnouncementOp.READ_ALL, None, 1),
    ], "the rolled-back fan-out and read are not announced"


def test_payloads_that_are_not_announcements_are_skipped(dsn: str) -> None:
    tenant_id = uuid.uuid4()
    with AnnouncementListener(dsn) as listener, psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_notify('notifydb', 'not json at all')")
        conn.execute("SELECT pg_notify('notifydb', %s)", (json.dumps({"op": AnnouncementOp.READ_ALL, "count": 3}),))
        Client(conn).create_notification(tenant_id, None, "T", "title", "message")
        received = list(listener.announcements(timeout=5, stop_after=1))
    assert [(a.op, a.tenant_id, a.user_id) for a in received] == [(AnnouncementOp.CREATE, tenant_id, None)]


def test_stop_after_yields_that_many_and_keeps_the_rest_for_later(dsn: str) -> None:
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    with AnnouncementListener(dsn) as listener, psycopg.connect(dsn, autocommit=True) as conn:
        client = Client(conn)
        for title in ("one", "two", "three"):
            client.create_notification(tenant_id, user_id, "T", title, "message")
        assert len(list(listener.announcements(timeout=5, stop_after=2))) == 2
        assert len(list(listener.announcements(timeout=5, stop_after=1))) == 1


def test_an_operation_of_a_newer_database_stays_a_string() -> None:
    tenant = "00000000-0000-0000-0000-000000000001"
    announcement = Announcement.from_payload(json.dumps({"op": "archive", "tenant_id": tenant, "count": 2, "seq": 9}))
    assert announcement == Announcement(
        op="archive", tenant_id=uuid.UUID(tenant), user_id=None, ids=None, count=2, seq=9
    )
    assert type(announcement.op) is str


@pytest.mark.parametrize(
    "payload",
    [
        "[]",
        '{"op": "create"}',
        '{"op": "create", "tenant_id": "nope", "count": 1}',
        '{"op": 7, "tenant_id": "00000000-0000-0000-0000-000000000001", "count": 1}',
        '{"op": "create", "tenant_id": "00000000-0000-0000-0000-000000000001", "ids": ["x"]}',
        '{"op": "create", "tenant_id": "00000000-0000-0000-0000-000000000001", "count": 1, "seq": "x"}',
    ],
)
def test_malformed_payloads_are_refused(payload: str) -> None:
    with pytest.raises(MalformedAnnouncement):
        Announcement.from_payload(payload)
