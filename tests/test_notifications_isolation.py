"""Acting as tenant A / user A, every notification function aimed at other inboxes' rows
(by id, by NULL user, by mixed id lists) reads and changes nothing of theirs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import psycopg
import pytest

from notifydb import Client
from tests.support.notifications import counter_drift


@dataclass
class World:
    tenant_a: UUID
    tenant_b: UUID
    user_a: UUID
    user_b: UUID
    own: list[UUID]  # tenant A, user A
    foreign: list[UUID]  # every other inbox: B/B, B/NULL, B/A, A/B, A/NULL
    tenant_level_a: list[UUID]  # A/NULL, the last three of foreign


@pytest.fixture
def world(migrated_dsn: str) -> Iterator[tuple[Client, World]]:
    tenant_a, tenant_b, user_a, user_b = uuid4(), uuid4(), uuid4(), uuid4()
    with psycopg.connect(migrated_dsn) as conn:
        client = Client(conn)

        def make(tenant: UUID, user: UUID | None, n: int = 3) -> list[UUID]:
            return [client.create_notification(tenant, user, "T", f"t{i}", "m", dedupe_key=f"k{i}") for i in range(n)]

        own = make(tenant_a, user_a)
        # The same user id in the other tenant, the other user in this tenant, and both tenant-level inboxes.
        foreign = make(tenant_b, user_b) + make(tenant_b, None) + make(tenant_b, user_a)
        tenant_level_a = make(tenant_a, None)
        foreign += make(tenant_a, user_b) + tenant_level_a
        yield client, World(tenant_a, tenant_b, user_a, user_b, own, foreign, tenant_level_a)


def stored(dsn: str, ids: list[UUID]) -> list[tuple]:
    """The rows, and the counters (with their read and seen horizons) of every inbox they are in."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT * FROM notifydb.notifications WHERE id = ANY(%s) ORDER BY id", (ids,)).fetchall()
        counters = conn.execute(
            "SELECT c.* FROM notifydb.inbox_counters AS c WHERE EXISTS (SELECT FROM notifydb.notifications AS n"
            " WHERE n.id = ANY(%s) AND n.tenant_id = c.tenant_id AND n.inbox_key = c.inbox_key)"
            " ORDER BY c.tenant_id, c.inbox_key",
            (ids,),
        ).fetchall()
        return rows + counters


def read_as_owners(client: Client, w: World) -> None:
    """Each foreign inbox reads its own rows, so that a leaking mark_unread would have something to change."""
    for tenant, user in ((w.tenant_b, w.user_b), (w.tenant_b, None), (w.tenant_b, w.user_a), (w.tenant_a, w.user_b)):
        client.mark_all_read(tenant, user)
    client.mark_read(w.tenant_a, None, w.tenant_level_a)


def test_mutations_by_foreign_ids_change_nothing(world: tuple[Client, World], migrated_dsn: str) -> None:
    client, w = world
    before = stored(migrated_dsn, w.foreign)
    assert client.mark_read(w.tenant_a, w.user_a, w.foreign) == 0
    assert client.delete_notifications(w.tenant_a, w.user_a, w.foreign) == 0
    assert stored(migrated_dsn, w.foreign) == before
    read_as_owners(client, w)
    before = stored(migrated_dsn, w.foreign)
    assert client.mark_unread(w.tenant_a, w.user_a, w.foreign) == 0
    assert stored(migrated_dsn, w.foreign) == before
    # The tenant-level inbox (NULL user) cannot reach user rows, of its tenant or another.
    not_tenant_level = [i for i in w.foreign if i not in w.tenant_level_a] + w.own
    own_before = stored(migrated_dsn, w.own)
    assert client.mark_read(w.tenant_a, None, not_tenant_level) == 0
    assert client.delete_notifications(w.tenant_a, None, not_tenant_level) == 0
    assert stored(migrated_dsn, w.foreign) == before
    assert stored(migrated_dsn, w.own) == own_before


def test_mixed_id_lists_change_only_own_rows(world: tuple[Client, World], migrated_dsn: str) -> None:
    client, w = world
    before = stored(migrated_dsn, w.foreign)
    mixed = w.foreign[:7] + w.own + w.foreign[7:]
    assert client.mark_read(w.tenant_a, w.user_a, mixed) == len(w.own)
    assert stored(migrated_dsn, w.foreign) == before
    read_as_owners(client, w)
    before = stored(migrated_dsn, w.foreign)
    assert client.mark_unread(w.tenant_a, w.user_a, mixed) == len(w.own)
    assert client.delete_notifications(w.tenant_a, w.user_a, mixed) == len(w.own)
    assert stored(migrated_dsn, w.foreign) == before


def test_inbox_wide_calls_stay_in_their_inbox(world: tuple[Client, World], migrated_dsn: str) -> None:
    client, w = world
    before = stored(migrated_dsn, w.foreign)
    assert client.mark_all_read(w.tenant_a, w.user_a) == len(w.own)
    assert client.mark_seen(w.tenant_a, w.user_a) == 0  # reading already marked them seen
    assert stored(migrated_dsn, w.foreign) == before
    assert client.unread_count(w.tenant_a, w.user_a) == 0
    assert client.unread_count(w.tenant_b, w.user_a) == 3
    assert client.unread_count(w.tenant_a, None) == 3


def test_reads_reveal_nothing_of_other_inboxes(world: tuple[Client, World]) -> None:
    client, w = world
    listed = {n.id for n in client.list_notifications(w.tenant_a, w.user_a, limit=100)}
    assert listed == set(w.own)
    tenant_level = {n.id for n in client.list_notifications(w.tenant_a, None, limit=100)}
    assert tenant_level.isdisjoint(w.own) and len(tenant_level) == 3
    assert tenant_level < set(w.foreign)
    assert client.unread_count(w.tenant_a, w.user_a) == 3
    assert client.unseen_count(w.tenant_a, w.user_a) == 3
    # A cursor taken from another inbox's row pages this inbox only.
    other = client.list_notifications(w.tenant_b, w.user_b)[0]
    page = client.list_notifications(w.tenant_a, w.user_a, before_created_at=other.created_at, before_id=other.id)
    assert {n.id for n in page} <= set(w.own)


def test_dedupe_keys_are_per_recipient(world: tuple[Client, World], migrated_dsn: str) -> None:
    client, w = world
    # Tenant B and user B already used "k0"..."k2": tenant A / user A's new key is its own.
    fresh = client.create_notification(w.tenant_a, w.user_a, "T", "t", "m", dedupe_key="k9")
    assert fresh not in w.foreign
    again = client.create_notification(w.tenant_a, w.user_a, "T", "t", "m", dedupe_key="k0")
    assert again in w.own
    assert client.fan_out_notification(w.tenant_a, [w.user_a], "T", "t", "m", dedupe_key="k1") == 0
    assert counter_drift(migrated_dsn, w.tenant_a) == []
    assert counter_drift(migrated_dsn, w.tenant_b) == []
