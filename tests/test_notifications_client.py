"""The Python client on a plain Connection and on a ConnectionPool."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from notifydb import Client, Notification


@pytest.fixture(params=["connection", "pool"])
def client(request: pytest.FixtureRequest, migrated_dsn: str) -> Iterator[Client]:
    if request.param == "connection":
        with psycopg.connect(migrated_dsn) as conn:
            yield Client(conn)
    else:
        with ConnectionPool(migrated_dsn, min_size=1, max_size=2, open=True) as pool:
            yield Client(pool)


def test_round_trip_with_typed_results(client: Client) -> None:
    tenant_id, user_id = uuid4(), uuid4()
    expires = datetime.now(UTC) + timedelta(days=1)
    first = client.create_notification(
        tenant_id,
        user_id,
        "QUOTA_WARNING",
        "Quota",
        "90% used",
        channel="email",
        expires_at=expires,
        data={"percent": 90},
    )
    second = client.create_notification(tenant_id, user_id, "CAMPAIGN_COMPLETED", "Done", "Sent")
    assert isinstance(first, UUID)

    page = client.list_notifications(tenant_id, user_id)
    assert [n.id for n in page] == [second, first]
    newest_first = page[1]
    assert isinstance(newest_first, Notification)
    assert newest_first.type == "QUOTA_WARNING"
    assert newest_first.channel == "email"
    assert newest_first.data == {"percent": 90}
    assert newest_first.expires_at == expires
    assert newest_first.is_read is False and newest_first.read_at is None
    assert isinstance(newest_first.created_at, datetime)

    assert client.unread_count(tenant_id, user_id) == 2
    assert client.unseen_count(tenant_id, user_id) == 2
    assert client.mark_read(tenant_id, user_id, [first]) == 1
    assert client.mark_read(tenant_id, user_id, [first]) == 0
    assert client.unread_count(tenant_id, user_id) == 1
    assert client.list_notifications(tenant_id, user_id, unread_only=True) == [page[0]]
    assert client.mark_seen(tenant_id, user_id) == 1
    assert client.unseen_count(tenant_id, user_id) == 0
    assert client.mark_unread(tenant_id, user_id, [first]) == 1
    assert client.mark_all_read(tenant_id, user_id) == 2
    assert client.mark_all_read(tenant_id, user_id, up_to=datetime.now(UTC)) == 0
    assert client.delete_notifications(tenant_id, user_id, [first, second]) == 2
    assert client.list_notifications(tenant_id, user_id) == []


def test_paging_with_the_cursor_of_the_last_row(client: Client) -> None:
    tenant_id = uuid4()
    created = {client.create_notification(tenant_id, None, "T", f"n{i}", "m") for i in range(7)}
    seen: list[UUID] = []
    page = client.list_notifications(tenant_id, None, limit=3)
    while page:
        seen += [n.id for n in page]
        last = page[-1]
        page = client.list_notifications(tenant_id, None, limit=3, before_created_at=last.created_at, before_id=last.id)
    assert len(seen) == 7 and set(seen) == created


def test_fan_out_and_dedupe(client: Client) -> None:
    tenant_id, a, b = uuid4(), uuid4(), uuid4()
    assert client.fan_out_notification(tenant_id, [a, b, None, a, None], "T", "t", "m", dedupe_key="k") == 3
    assert client.fan_out_notification(tenant_id, [a, b, None], "T", "t", "m", dedupe_key="k") == 0
    assert client.fan_out_notification(tenant_id, [], "T", "t", "m") == 0
    same = client.create_notification(tenant_id, a, "T", "t", "m", dedupe_key="k")
    assert [n.id for n in client.list_notifications(tenant_id, a)] == [same]
    # None is the tenant-level inbox: one row however often it is given, deduplicated like a user's.
    [tenant_level] = client.list_notifications(tenant_id, None)
    assert client.create_notification(tenant_id, None, "T", "t", "m", dedupe_key="k") == tenant_level.id


def test_write_listeners_hear_every_inbox_a_write_touched(client: Client) -> None:
    tenant_id, a, b = uuid4(), uuid4(), uuid4()
    heard: list[tuple[UUID, UUID | None]] = []
    client.add_write_listener(heard.extend)
    nid = client.create_notification(tenant_id, a, "T", "t", "m")
    client.fan_out_notification(tenant_id, [b, None, a, b], "T", "t", "m")
    client.mark_read(tenant_id, a, [nid])
    client.mark_all_read(tenant_id, None)
    client.unread_count(tenant_id, a)
    client.list_notifications(tenant_id, a)
    assert heard == [
        (tenant_id, a),
        *[(tenant_id, b), (tenant_id, None), (tenant_id, a)],  # the fan-out: None is the tenant-level inbox
        (tenant_id, a),
        (tenant_id, None),
    ]


def test_bad_input_raises_invalid_parameter_value(client: Client) -> None:
    tenant_id = uuid4()
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_title"):
        client.create_notification(tenant_id, None, "T", "", "m")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_data"):
        client.create_notification(tenant_id, None, "T", "t", "m", data={"x": "y" * 5000})
    # The client keeps working after an error (its transaction was rolled back).
    assert client.unread_count(tenant_id, None) == 0
