"""The unread-count cache over the real notifydb.Client and SQL functions, on Redis and Redis Cluster.

Needs the notification functions and notifydb.Client (issue #3) in the migrated database.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from psycopg_pool import ConnectionPool

from notifydb import UnreadCountCache
from notifydb.ratelimit import connect
from notifydb.redis_connection import RedisClient
from notifydb.unread_cache import inbox_keys
from tests.ratelimit_helpers import all_keys, keys_without_ttl

LATENCY_BOUND = 1.0  # for a 0.1 s Redis timeout without retries (a behaviour bound, not a benchmark)


@pytest.fixture(scope="module")
def pool(migrated_dsn: str) -> Iterator[ConnectionPool]:
    with ConnectionPool(migrated_dsn, min_size=1, max_size=4, open=True) as pool:
        yield pool


@pytest.fixture
def client(pool: ConnectionPool):
    from notifydb import Client  # from the notifications issue; fails this test loudly if missing

    return Client(pool)


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()


def notify(client, tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> uuid.UUID:
    return client.create_notification(
        tenant_id=tenant_id, user_id=user_id, type="QUOTA_WARNING", title="Quota", message="90% used"
    )


def postgres_count(pool: ConnectionPool, tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> int:
    with pool.connection() as conn:
        return conn.execute("SELECT notifydb.unread_count(%s, %s)", (tenant_id, user_id)).fetchone()[0]


class PausingAfterRead:
    """The real Client, with a pause between its Postgres read and the cache's write-back."""

    def __init__(self, client) -> None:
        self._client = client
        self.read_done = threading.Event()
        self.release = threading.Event()

    def unread_count(self, tenant_id, user_id):
        count = self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        self.read_done.set()
        assert self.release.wait(10)
        return count

    def add_write_listener(self, listener) -> None:
        self._client.add_write_listener(listener)


def test_a_miss_reads_postgres_then_redis_answers(client, pool, any_redis: RedisClient, tenant) -> None:
    user = uuid.uuid4()
    cache = UnreadCountCache(client, any_redis, ttl_seconds=60)
    notify(client, tenant, user)
    notify(client, tenant, user)
    assert cache.get(tenant, user) == 2
    keys = inbox_keys(tenant, user)
    assert any_redis.get(keys.count) == b"2"
    assert 0 < any_redis.ttl(keys.count) <= 60
    # A write made elsewhere (no listener) is only seen after invalidation or the TTL.
    from notifydb import Client

    notify(Client(pool), tenant, user)
    assert cache.get(tenant, user) == 2
    cache.invalidate(tenant, user)
    assert cache.get(tenant, user) == 3


def test_cache_and_postgres_agree_after_every_client_write(client, pool, any_redis: RedisClient, tenant) -> None:
    cache = UnreadCountCache(client, any_redis)
    user, colleague = uuid.uuid4(), uuid.uuid4()
    inboxes = [(tenant, user), (tenant, colleague), (tenant, None)]
    ids: list[uuid.UUID] = []

    def agree() -> None:
        for inbox in inboxes:
            assert cache.get(*inbox) == postgres_count(pool, *inbox)
            assert cache.get(*inbox) == postgres_count(pool, *inbox)  # now from Redis

    writes = [
        lambda: ids.append(notify(client, tenant, user)),
        lambda: ids.append(notify(client, tenant, user)),
        lambda: notify(client, tenant, None),
        lambda: client.fan_out_notification(
            tenant_id=tenant, user_ids=[user, colleague], type="MAINTENANCE", title="Tonight", message="Downtime"
        ),
        lambda: client.mark_read(tenant_id=tenant, user_id=user, ids=[ids[0]]),
        lambda: client.mark_unread(tenant_id=tenant, user_id=user, ids=[ids[0]]),
        lambda: client.delete_notifications(tenant_id=tenant, user_id=user, ids=[ids[1]]),
        lambda: client.mark_all_read(tenant_id=tenant, user_id=colleague),
        lambda: client.mark_all_read(tenant_id=tenant, user_id=None),
        lambda: client.mark_all_read(tenant_id=tenant, user_id=user),
    ]
    agree()
    for write in writes:
        write()
        agree()
    assert [cache.get(*inbox) for inbox in inboxes] == [0, 0, 0]
    assert keys_without_ttl(any_redis) == []


def test_a_slow_reader_never_writes_back_a_stale_count(client, any_redis: RedisClient, tenant) -> None:
    user = uuid.uuid4()
    notify(client, tenant, user)
    slow = PausingAfterRead(client)
    cache = UnreadCountCache(slow, any_redis)
    with ThreadPoolExecutor(max_workers=1) as pool:
        reader = pool.submit(cache.get, tenant, user)
        assert slow.read_done.wait(10)  # the reader has read 1 from Postgres, not yet cached it
        notify(client, tenant, user)  # commits, then invalidates
        slow.release.set()
        assert reader.result(timeout=10) == 1  # that caller saw the count of its time...
    assert any_redis.get(inbox_keys(tenant, user).count) is None  # ...but it was not cached
    assert cache.get(tenant, user) == 2
    assert any_redis.get(inbox_keys(tenant, user).count) == b"2"


def test_a_slow_reader_without_a_write_in_between_does_cache(client, any_redis: RedisClient, tenant) -> None:
    user = uuid.uuid4()
    notify(client, tenant, user)
    slow = PausingAfterRead(client)
    slow.release.set()
    cache = UnreadCountCache(slow, any_redis)
    assert cache.get(tenant, user) == 1
    assert any_redis.get(inbox_keys(tenant, user).count) == b"1"


def test_many_readers_and_writers_end_in_agreement(client, pool, any_redis: RedisClient, tenant) -> None:
    user = uuid.uuid4()
    cache = UnreadCountCache(client, any_redis)
    stop = threading.Event()

    def read_until_stopped() -> None:
        while not stop.is_set():
            cache.get(tenant, user)

    with ThreadPoolExecutor(max_workers=4) as workers:
        readers = [workers.submit(read_until_stopped) for _ in range(3)]
        for _ in range(20):
            notify(client, tenant, user)
        stop.set()
        for reader in readers:
            reader.result()
    assert cache.get(tenant, user) == postgres_count(pool, tenant, user) == 20


@pytest.mark.parametrize("redis_state", ["stopped", "paused"])
def test_without_redis_counts_come_from_postgres(
    client, tenant, redis_state: str, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    url = request.getfixturevalue(f"{redis_state}_redis_url")
    cache = UnreadCountCache(client, connect(url, timeout=0.1))
    user = uuid.uuid4()
    with caplog.at_level(logging.WARNING, logger="notifydb.unread_cache"):
        started = time.monotonic()
        notify(client, tenant, user)  # the invalidation fails, is logged, and the write stands
        assert cache.get(tenant, user) == 1
        assert time.monotonic() - started < 2 * LATENCY_BOUND
        started = time.monotonic()
        assert cache.get(tenant, user) == 1
        assert time.monotonic() - started < LATENCY_BOUND
    messages = [record.getMessage() for record in caplog.records if record.name == "notifydb.unread_cache"]
    assert any("not invalidated" in m for m in messages)
    assert any("from Postgres" in m for m in messages)


def test_the_tenant_inbox_and_user_inboxes_are_cached_apart(client, any_redis: RedisClient, tenant) -> None:
    cache = UnreadCountCache(client, any_redis)
    user = uuid.uuid4()
    notify(client, tenant, None)
    assert (cache.get(tenant, None), cache.get(tenant, user)) == (1, 0)
    notify(client, tenant, user)
    notify(client, tenant, user)
    assert (cache.get(tenant, None), cache.get(tenant, user)) == (1, 2)
    assert len(all_keys(any_redis)) == 4  # a count and a generation per inbox
