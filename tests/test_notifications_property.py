"""Random operation sequences on a few inboxes, checked against a plain Python model.

Each operation, and each check after it, is one transaction: all its calls see the same now(),
which the model reads, so it knows exactly which rows have expired by then, however long the
steps take. Rows expire within a fraction of a second; "wait" sleeps until the next expiry.
The checks also walk every list page by page (1..3 rows) through the keyset cursor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifydb import Client

TENANTS = 2
USERS = [0, 1, None]  # None: the tenant-level inbox
KEYS = [None, "a", "b"]
EXPIRIES = [None, 0.1, 0.4]  # seconds from creation; short, so that "wait" costs little


@dataclass
class Row:
    tenant: int
    user: int | None
    seq: int
    id: UUID
    is_read: bool = False
    seen: bool = False
    deleted: bool = False
    expires: datetime | None = None


@dataclass
class Model:
    rows: dict[UUID, Row] = field(default_factory=dict)
    keys: dict[tuple[int, int | None, str], UUID] = field(default_factory=dict)

    def inbox(self, tenant: int, user: int | None, now: datetime) -> list[Row]:
        """Visible rows at now, newest first: earlier steps have earlier created_at; ties go by id."""
        rows = [
            r
            for r in self.rows.values()
            if (r.tenant, r.user) == (tenant, user) and not r.deleted and (r.expires is None or r.expires > now)
        ]
        return sorted(rows, key=lambda r: (r.seq, r.id.int), reverse=True)

    def next_expiry(self, now: datetime) -> datetime | None:
        return min((r.expires for r in self.rows.values() if r.expires and r.expires > now), default=None)

    def pick(self, picks: list[int]) -> list[UUID]:
        every = sorted(self.rows)  # any row at all, other inboxes' included
        return [every[p % len(every)] for p in picks] if every else []


inbox = st.tuples(st.integers(0, TENANTS - 1), st.sampled_from(USERS))
operation = st.one_of(
    st.tuples(st.just("create"), inbox, st.sampled_from(KEYS), st.sampled_from(EXPIRIES)),
    st.tuples(
        st.just("fan_out"),
        inbox,
        st.sampled_from(KEYS),
        st.lists(st.sampled_from(USERS), max_size=5),
        st.sampled_from(EXPIRIES),
    ),
    # Rows created in one transaction share created_at: their order, and the cursor, go by id.
    st.tuples(st.just("create_together"), inbox, st.integers(2, 3)),
    st.tuples(st.sampled_from(["mark_read", "mark_unread", "delete"]), inbox, st.lists(st.integers(0, 99), max_size=4)),
    st.tuples(st.sampled_from(["mark_all_read", "mark_seen"]), inbox),
    st.tuples(st.just("wait"), inbox),  # every operation names an inbox; this one ignores it
)


@pytest.fixture(scope="module")
def client(migrated_dsn: str) -> Iterator[Client]:
    with psycopg.connect(migrated_dsn) as conn:
        yield Client(conn)


@contextmanager
def one_now(client: Client) -> Iterator[datetime]:
    """A transaction for the client's calls (each runs in a savepoint of it); yields its now()."""
    conn = client._target
    with conn.transaction():
        yield conn.execute("SELECT now()").fetchone()[0]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=12), page_size=st.integers(1, 3))
def test_matches_the_model(client: Client, operations: list[tuple], page_size: int) -> None:
    tenants = [uuid4() for _ in range(TENANTS)]
    users = [uuid4(), uuid4()]

    def real(user: int | None) -> UUID | None:
        return None if user is None else users[user]

    model = Model()
    for seq, (op, (tenant, user), *args) in enumerate(operations):
        t, u = tenants[tenant], real(user)
        with one_now(client) as now:
            if op == "create":
                key, seconds = args
                expires = expiry(now, seconds)
                nid = client.create_notification(t, u, "T", f"op {seq}", "m", expires_at=expires, dedupe_key=key)
                if key is not None and (tenant, user, key) in model.keys:
                    # The first row stands, even once expired or deleted.
                    assert nid == model.keys[(tenant, user, key)]
                else:
                    model.rows[nid] = Row(tenant, user, seq, nid, expires=expires)
                    if key is not None:
                        model.keys[(tenant, user, key)] = nid
            elif op == "create_together":
                for _ in range(args[0]):
                    nid = client.create_notification(t, u, "T", f"op {seq}", "m")
                    model.rows[nid] = Row(tenant, user, seq, nid)
            elif op == "fan_out":
                key, targets, seconds = args
                expires = expiry(now, seconds)
                created = client.fan_out_notification(
                    t, [real(x) for x in targets], "T", f"op {seq}", "m", expires_at=expires, dedupe_key=key
                )
                fresh = list(dict.fromkeys(targets))  # None: the tenant-level inbox, once
                if key is not None:
                    fresh = [x for x in fresh if (tenant, x, key) not in model.keys]
                assert created == len(fresh)
                for target in fresh:
                    (row,) = client._rows(
                        "SELECT id FROM notifydb.list_notifications(%s, %s, p_limit => 1)", (t, real(target))
                    )
                    model.rows[row[0]] = Row(tenant, target, seq, row[0], expires=expires)
                    if key is not None:
                        model.keys[(tenant, target, key)] = row[0]
            elif op in ("mark_read", "mark_unread", "delete"):
                ids = model.pick(args[0])
                mine = {r.id for r in model.inbox(tenant, user, now) if r.id in ids}
                if op == "mark_read":
                    changed = client.mark_read(t, u, ids)
                    targets = [model.rows[i] for i in mine if not model.rows[i].is_read]
                    for r in targets:
                        r.is_read = r.seen = True
                elif op == "mark_unread":
                    changed = client.mark_unread(t, u, ids)
                    targets = [model.rows[i] for i in mine if model.rows[i].is_read]
                    for r in targets:
                        r.is_read = False
                else:
                    changed = client.delete_notifications(t, u, ids)
                    targets = [model.rows[i] for i in mine]
                    for r in targets:
                        r.deleted = True
                assert changed == len(targets)
            elif op == "mark_all_read":
                targets = [r for r in model.inbox(tenant, user, now) if not r.is_read]
                assert client.mark_all_read(t, u) == len(targets)
                for r in targets:
                    r.is_read = r.seen = True
            elif op == "mark_seen":
                targets = [r for r in model.inbox(tenant, user, now) if not r.is_read and not r.seen]
                assert client.mark_seen(t, u) == len(targets)
                for r in targets:
                    r.seen = True
        # Outside the transaction: the next one's now() is past the expiry.
        if op == "wait" and (wake := model.next_expiry(now)):
            time.sleep((wake - now).total_seconds())
        with one_now(client) as now:
            check(client, model, tenants, real, now, page_size)


def expiry(now: datetime, seconds: float | None) -> datetime | None:
    return None if seconds is None else now + timedelta(seconds=seconds)


def check(
    client: Client,
    model: Model,
    tenants: list[UUID],
    real: Callable[[int | None], UUID | None],
    now: datetime,
    page_size: int,
) -> None:
    for tenant, t in enumerate(tenants):
        for user in USERS:
            expected = model.inbox(tenant, user, now)
            listed = client.list_notifications(t, real(user), limit=100)
            assert [n.id for n in listed] == [r.id for r in expected]
            assert [n.is_read for n in listed] == [r.is_read for r in expected]
            unread = client.list_notifications(t, real(user), unread_only=True, limit=100)
            assert [n.id for n in unread] == [r.id for r in expected if not r.is_read]
            assert client.unread_count(t, real(user)) == len(unread)
            assert client.unseen_count(t, real(user)) == sum(1 for r in expected if not r.is_read and not r.seen)
            for unread_only in (False, True):
                paged = walk(client, t, real(user), unread_only, page_size)
                assert paged == [r.id for r in expected if not (unread_only and r.is_read)]


def walk(client: Client, t: UUID, u: UUID | None, unread_only: bool, page_size: int) -> list[UUID]:
    """Every id of the list, page by page through the (created_at, id) cursor."""
    ids: list[UUID] = []
    page = client.list_notifications(t, u, unread_only=unread_only, limit=page_size)
    while page:
        assert len(page) <= page_size
        ids += [n.id for n in page]
        assert len(ids) == len(set(ids))  # a cursor that repeats rows would never end
        last = page[-1]
        page = client.list_notifications(t, u, unread_only, page_size, last.created_at, last.id)
    return ids
