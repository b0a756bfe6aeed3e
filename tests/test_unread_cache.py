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

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from notifydb import UnreadCountCache
from notifydb.ratelimit import connect
from notifydb.redis_connection import RedisClient
from notifydb.unread_cache import inbox_keys
from tests.ratelimit_helpers import all_keys, commands_sent, keys_without_ttl, node_of, wait_until_marked_failed
from tests.support.redis_server import LocalRedis

TIMEOUT = 0.1
# A hang detector, not a benchmark (see tests/test_ratelimit_failures.py): a call that
# reaches a hung node waits one timeout, on a cluster maybe a second one while redis-py
# refreshes the topology, plus what a loaded 2-core machine adds (CI measured 0.31 s once).
# How many calls waited is asserted exactly, from the breaker's counters.
LATENCY_BOUND = 6 * TIMEOUT


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

    def in_callers_transaction(self) -> bool:
        return self._client.in_callers_transaction()


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


def timed(call, *args):
    started = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - started


@pytest.mark.parametrize("redis_state", ["stopped", "paused"])
def test_without_redis_counts_come_from_postgres(
    client, pool, tenant, redis_state: str, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    url = request.getfixturevalue(f"{redis_state}_redis_url")
    cache = UnreadCountCache(client, connect(url, timeout=TIMEOUT, breaker_interval=60))  # no probe in this test
    user = uuid.uuid4()
    with caplog.at_level(logging.INFO, logger="notifydb"):
        notify(client, tenant, user)  # the invalidation fails (the breaker opens), is remembered, the write stands
        _, elapsed = timed(cache.invalidate, tenant, user)
        assert elapsed < LATENCY_BOUND
        for _ in range(2):
            count, elapsed = timed(cache.get, tenant, user)
            _, postgres_elapsed = timed(postgres_count, pool, tenant, user)
            assert count == 1
            assert elapsed < LATENCY_BOUND + 2 * postgres_elapsed
    # Only the write's invalidation asked Redis; the rest answered without it.
    (state,) = cache.breaker.state()
    assert (state.state, state.failures, state.skipped) == ("open", 1, 3)
    assert cache.not_invalidated == 1
    (record,) = caplog.records  # one line for the outage, none per call
    assert record.name == "notifydb.redis" and "is down" in record.getMessage()


def test_a_fan_out_invalidates_every_inbox(client, pool, any_redis: RedisClient, tenant) -> None:
    cache = UnreadCountCache(client, any_redis)
    users = [uuid.uuid4() for _ in range(2000)]
    watched = users[::100]
    notify(client, tenant, watched[0])
    assert [cache.get(tenant, user) for user in watched] == [1] + [0] * (len(watched) - 1)
    client.fan_out_notification(tenant_id=tenant, user_ids=users, type="MAINTENANCE", title="T", message="M")
    assert [cache.get(tenant, user) for user in watched] == [2] + [1] * (len(watched) - 1)
    assert postgres_count(pool, tenant, watched[-1]) == 1


def test_a_ten_thousand_user_fan_out_costs_one_timeout_on_a_hung_redis(
    client, pool, redis_client: RedisClient, paused_redis_url: str, tenant, caplog: pytest.LogCaptureFixture
) -> None:
    inboxes = [(tenant, uuid.uuid4()) for _ in range(10_000)]
    # Building 20,000 commands is local work, timed apart on a Redis that answers.
    _, answered_elapsed = timed(UnreadCountCache(client, redis_client).invalidate_inboxes, inboxes)
    # A breaker interval no run outlasts: the fan-out's invalidation is skipped, however slow the machine.
    cache = UnreadCountCache(client, connect(paused_redis_url, timeout=TIMEOUT, breaker_interval=60))
    with caplog.at_level(logging.WARNING, logger="notifydb"):
        _, elapsed = timed(cache.invalidate_inboxes, inboxes)
        assert elapsed < LATENCY_BOUND + 2 * answered_elapsed
        users = [user for _, user in inboxes]
        client.fan_out_notification(tenant_id=tenant, user_ids=users, type="MAINTENANCE", title="T", message="M")
    assert postgres_count(pool, tenant, users[-1]) == 1  # the write stands
    assert cache.not_invalidated == 10_000  # both times the same inboxes, remembered once
    (state,) = cache.breaker.state()
    assert (state.failures, state.skipped) == (1, 1)  # the fan-out's invalidation did not wait
    (record,) = caplog.records  # one line for the outage, not one per invalidation or inbox
    assert record.name == "notifydb.redis" and "is down" in record.getMessage()


def test_a_hung_cluster_node_costs_its_inboxes_one_timeout(
    client, pool, own_cluster: list[LocalRedis], tenant, caplog: pytest.LogCaptureFixture
) -> None:
    """The other primaries' inboxes are answered from Redis as usual, before and after the
    cluster marks the hung node failed (see own_cluster: cluster-require-full-coverage no)."""
    from notifydb import Client

    redis_client = connect(own_cluster[0].url, timeout=TIMEOUT, cluster=True)
    cache = UnreadCountCache(client, redis_client)
    users_by_node: dict[int, list[uuid.UUID]] = {}
    while min((len(users) for users in users_by_node.values()), default=0) < 2 or len(users_by_node) < 3:
        user = uuid.uuid4()
        users_by_node.setdefault(node_of(redis_client, inbox_keys(tenant, user).count, own_cluster).port, []).append(
            user
        )
    hung = own_cluster[2]
    hung_user, *_ = users_by_node.pop(hung.port)

    def hung_circuit(cache: UnreadCountCache):
        return next(state for state in cache.breaker.state() if state.node.endswith(f":{hung.port}"))

    answering = [users[0] for users in users_by_node.values()]
    for user in [hung_user, *answering]:
        notify(client, tenant, user)
        assert cache.get(tenant, user) == 1
        notify(Client(pool), tenant, user)  # no listener: Postgres says 2, the cached count 1
    many = [(tenant, uuid.uuid4()) for _ in range(10_000)]
    _, answered_elapsed = timed(cache.invalidate_inboxes, many)  # the local work, timed apart
    hung.pause()
    try:
        with caplog.at_level(logging.WARNING, logger="notifydb"):
            for phase in ("before the cluster noticed", "after it marked the node failed"):
                failures_before = hung_circuit(cache).failures
                count, elapsed = timed(cache.get, tenant, hung_user)
                _, postgres_elapsed = timed(postgres_count, pool, tenant, hung_user)
                assert count == 2 and elapsed < LATENCY_BOUND + 2 * postgres_elapsed, phase
                assert hung_circuit(cache).failures - failures_before <= 1, phase  # at most one call waited
                assert [cache.get(tenant, user) for user in answering] == [1, 1], phase  # Redis answered
                failures_before = hung_circuit(cache).failures
                _, elapsed = timed(cache.invalidate_inboxes, [*many, (tenant, hung_user)])
                assert elapsed < LATENCY_BOUND + 2 * answered_elapsed, phase
                assert hung_circuit(cache).failures == failures_before, phase  # the open circuit was skipped
                wait_until_marked_failed(hung, own_cluster)
    finally:
        hung.resume()
    # One line for the hung node's outage (a failed probe logs nothing), and its inboxes are
    # remembered until it answers again.
    (message,) = [record.getMessage() for record in caplog.records]
    assert f":{hung.port} is down" in message
    assert hung_circuit(cache).opened == 1
    assert cache.not_invalidated >= 1


def test_a_hit_is_one_get(client, redis_client: RedisClient, tenant) -> None:
    cache = UnreadCountCache(client, redis_client)
    user = uuid.uuid4()
    notify(client, tenant, user)
    assert cache.get(tenant, user) == 1
    with commands_sent(redis_client) as sent:
        assert cache.get(tenant, user) == 1
    assert sent == [["GET", inbox_keys(tenant, user).count]]


def test_a_redis_error_reply_is_logged_as_an_error_and_postgres_answers(
    client, redis_client: RedisClient, tenant, caplog: pytest.LogCaptureFixture
) -> None:
    cache = UnreadCountCache(client, redis_client)
    user = uuid.uuid4()
    notify(client, tenant, user)
    redis_client.rpush(inbox_keys(tenant, user).count, "not a count")
    with caplog.at_level(logging.WARNING, logger="notifydb.unread_cache"):
        assert cache.get(tenant, user) == 1
    (record,) = [r for r in caplog.records if r.name == "notifydb.unread_cache"]
    assert record.levelno == logging.ERROR and "WRONGTYPE" in record.getMessage()


def test_a_write_inside_the_callers_transaction_is_refused_when_a_cache_listens(
    migrated_dsn: str, pool, redis_client: RedisClient, tenant
) -> None:
    """The Client could only invalidate before the caller's commit: a reader could then
    cache the old count for the whole TTL. So it writes nothing and says why."""
    from notifydb import Client

    user = uuid.uuid4()
    with psycopg.connect(migrated_dsn) as conn:
        client = Client(conn)
        cache = UnreadCountCache(client, redis_client)
        assert cache.get(tenant, user) == 0  # a transaction of the client's own, committed
        with conn.transaction():
            with pytest.raises(psycopg.ProgrammingError, match="after it commits"):
                notify(client, tenant, user)
            assert cache.get(tenant, user) == 0
        conn.execute("SELECT 1")  # psycopg's implicit transaction: the caller's too
        with pytest.raises(psycopg.ProgrammingError, match="after it commits"):
            notify(client, tenant, user)
        conn.rollback()
        notify(client, tenant, user)  # outside a transaction: committed, then invalidated
        assert cache.get(tenant, user) == 1
    assert postgres_count(pool, tenant, user) == 1


def test_inside_the_callers_transaction_counts_are_read_but_never_cached(
    migrated_dsn: str, pool, redis_client: RedisClient, tenant
) -> None:
    """Such a count may include the caller's uncommitted writes or come from an older snapshot."""
    from notifydb import Client

    user = uuid.uuid4()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        client = Client(conn)
        cache = UnreadCountCache(client, redis_client)
        with conn.transaction():
            Client(conn).create_notification(tenant, user, "QUOTA_WARNING", "Quota", "90% used")  # no listener
            assert cache.get(tenant, user) == 1  # the caller's own write, not yet committed
            assert redis_client.get(inbox_keys(tenant, user).count) is None
            raise psycopg.Rollback()
        assert cache.get(tenant, user) == 0
        assert redis_client.get(inbox_keys(tenant, user).count) == b"0"


def test_writes_in_the_callers_transaction_then_invalidate_after_commit(
    migrated_dsn: str, redis_client: RedisClient, tenant
) -> None:
    """What the refusal points to: a Client without the cache inside the transaction, then invalidate."""
    from notifydb import Client

    user = uuid.uuid4()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        cache = UnreadCountCache(Client(conn), redis_client)
        assert cache.get(tenant, user) == 0
        with conn.transaction():
            notify(Client(conn), tenant, user)
            notify(Client(conn), tenant, user)
        cache.invalidate(tenant, user)
        assert cache.get(tenant, user) == 2


def test_the_tenant_inbox_and_user_inboxes_are_cached_apart(client, any_redis: RedisClient, tenant) -> None:
    cache = UnreadCountCache(client, any_redis)
    user = uuid.uuid4()
    notify(client, tenant, None)
    assert (cache.get(tenant, None), cache.get(tenant, user)) == (1, 0)
    notify(client, tenant, user)
    notify(client, tenant, user)
    assert (cache.get(tenant, None), cache.get(tenant, user)) == (1, 2)
    assert len(all_keys(any_redis)) == 4  # a count and a generation per inbox
