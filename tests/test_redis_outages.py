"""A Redis outage costs one timeout per waiting caller, then one probe per breaker interval,
and leaves no stale unread count behind.

Real redis-server processes, with append-only files: paused with SIGSTOP (a hung server:
the kernel accepts connections and buffers commands, nothing answers) or killed with SIGKILL
and started again from their files. "single" breaks the only server; "cluster" breaks one
primary of a 3-master cluster (cluster-require-full-coverage no), whose slots hold every
identity and inbox under test, while another primary's identity is checked alongside.

Timeouts are counted by the breaker (failures: calls that reached for the node and found it
down), not measured; the latency bounds are those the issue sets ("within a few
milliseconds" for a check that does not wait on Redis, recovery "within one interval").
"""

from __future__ import annotations

import logging
import math
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import redis
from psycopg_pool import ConnectionPool

from notifydb import Decision, Policy, RateLimiter, UnreadCountCache
from notifydb.ratelimit import connect
from notifydb.redis_breaker import Circuit
from notifydb.redis_connection import RedisClient
from notifydb.unread_cache import inbox_keys
from tests.support.redis_server import LocalRedis, local_redis, local_redis_cluster

TIMEOUT = 0.1
INTERVAL = 0.5
THREADS = 6
OUTAGE_SECONDS = 3.0
INTERVALS = math.ceil(OUTAGE_SECONDS / INTERVAL)
# "Within a few milliseconds": the median check answered without Redis, on a loaded 2-core
# machine with six threads sharing the GIL (a check costs microseconds of CPU).
PROMPT = 0.005
AOF = ("--appendonly", "yes", "--appendfsync", "always")

# GCRA with a quota no run reaches: every check counts, none is denied while Redis answers.
OPEN = Policy(name="outage:open", limit=1_000_000, window_seconds=60, algorithm="gcra", on_redis_error="open")
CLOSED = Policy(name="outage:closed", limit=1_000_000, window_seconds=60, algorithm="gcra", on_redis_error="closed")
COUNTED = Policy(name="outage:counted", limit=3, window_seconds=3600)


@dataclass
class Target:
    """A fail-fast client with a short breaker interval, and the server under test."""

    client: RedisClient
    server: LocalRedis  # the one to pause or kill
    owns: Callable[[str], bool]  # whether a key lives on `server`
    other_nodes: list[LocalRedis]  # the cluster's other primaries

    def find(self, make: Callable[[int], str], key: Callable[[str], str], on_server: bool = True) -> list[str]:
        """Candidates make(0), make(1), ... whose key(candidate) does (or does not) live on the server."""
        found = (make(i) for i in range(10_000))
        return [candidate for candidate in found if self.owns(key(candidate)) == on_server]

    def wait_serving(self) -> None:
        """After start(): until the server serves its keys. A cluster primary answers
        CLUSTERDOWN for about 2 s after a restart, until it has rejoined (Redis's own delay)."""
        if not self.other_nodes:
            return
        deadline = time.monotonic() + 30
        with redis.Redis(port=self.server.port, socket_timeout=1) as node:
            while node.cluster("info")["cluster_state"] != "ok":
                assert time.monotonic() < deadline, "the restarted primary never rejoined its cluster"
                time.sleep(0.05)


@pytest.fixture(params=["single", "cluster"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "single":
        with local_redis(*AOF) as server:
            client = connect(server.url, timeout=TIMEOUT, breaker_interval=INTERVAL)
            yield Target(client, server, lambda _key: True, [])
            client.close()
        return
    with local_redis_cluster(3, 1000, "--cluster-require-full-coverage", "no", *AOF) as nodes:
        client = connect(nodes[0].url, timeout=TIMEOUT, cluster=True, breaker_interval=INTERVAL)
        server = nodes[1]
        owns = lambda key: client.get_node_from_key(key).port == server.port  # noqa: E731
        yield Target(client, server, owns, [nodes[0], nodes[2]])
        client.close()


@dataclass
class Check:
    started: float
    ended: float
    policy: Policy
    decision: Decision | None
    error: BaseException | None


def check_until(stop: threading.Event, limiter: RateLimiter, policy: Policy, identity: str) -> list[Check]:
    checks = []
    while not stop.is_set():
        started = time.monotonic()
        decision, error = None, None
        try:
            decision = limiter.check(policy, identity)
        except BaseException as exc:  # whatever reaches the caller is the failure
            error = exc
        checks.append(Check(started, time.monotonic(), policy, decision, error))
        time.sleep(0.002)
    return checks


def circuit_of(limiter: RateLimiter, identity: str) -> Circuit:
    return limiter.breaker.circuit_for(limiter.keys(CLOSED, identity)[0])


@pytest.mark.parametrize("outage", ["paused", "killed"])
def test_an_outage_costs_one_timeout_per_waiting_caller_then_one_probe_per_interval(
    target: Target, outage: str, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(target.client)
    identities = target.find(lambda i: f"user{i}@example.com", lambda i: limiter.keys(CLOSED, i)[0])[: THREADS + 1]
    bystanders = target.find(lambda i: f"user{i}@example.com", lambda i: limiter.keys(CLOSED, i)[0], on_server=False)
    circuit = circuit_of(limiter, identities[0])
    stop = threading.Event()
    with caplog.at_level(logging.INFO, logger="notifydb"), ThreadPoolExecutor(THREADS) as pool:
        runs = [
            pool.submit(check_until, stop, limiter, (OPEN, CLOSED)[i % 2], identity)
            for i, identity in enumerate(identities[:THREADS])
        ]
        try:
            time.sleep(0.3)  # every thread checking against a Redis that answers
            broken_at = time.monotonic()
            if outage == "paused":
                target.server.pause()
            else:
                target.server.kill()
            time.sleep(OUTAGE_SECONDS / 2)
            if bystanders:  # another primary's identities are answered by Redis throughout
                assert not limiter.check(OPEN, bystanders[0]).degraded
            time.sleep(OUTAGE_SECONDS / 2)
            during = circuit.state()
            restoring_at = time.monotonic()  # a probe may succeed from here on, before the test sees it
            if outage == "paused":
                target.server.resume()
            else:
                target.server.start()
                target.wait_serving()
            back_at = time.monotonic()
            time.sleep(2 * INTERVAL)
        finally:
            stop.set()
            target.server.resume()
        checks = sorted((check for run in runs for check in run.result()), key=lambda check: check.started)

    assert [check.error for check in checks if check.error] == []  # no exception reached a caller
    assert [check for check in checks if check.ended < broken_at and check.decision.degraded] == []

    # During the outage: the policy's answer, one open, few calls that reached for Redis.
    in_outage = [check for check in checks if broken_at <= check.ended < restoring_at]
    assert len(in_outage) > 100  # the threads kept checking
    started_in_outage = [check for check in in_outage if check.started >= broken_at]
    assert [check for check in started_in_outage if not check.decision.degraded] == []
    assert [
        check for check in started_in_outage if check.decision.allowed != (check.policy.on_redis_error == "open")
    ] == []
    assert during.state == "open" and during.opened == 1
    # The checks already waiting on Redis when it stopped answering (one per thread, nothing
    # can cut them short), then at most two per interval in all: in practice the one probe.
    assert 1 <= during.failures <= THREADS + 2 * INTERVALS
    assert 2 <= during.probes <= INTERVALS + 1
    # Every other check answered without waiting on Redis.
    waits = sorted((check.ended - check.started for check in in_outage), reverse=True)
    answered_at_once = waits[during.failures :]
    assert statistics.median(answered_at_once) < PROMPT
    # A call that reached for Redis counts in failures; one that waited as long for the CPU
    # (a loaded 2-core machine deschedules a thread for that long now and then) must stay rare.
    assert len([wait for wait in answered_at_once if wait >= TIMEOUT]) <= max(2, len(answered_at_once) // 100)

    # Back: the limits count again within one interval (the next probe is due by then; a
    # second interval is slack for a loaded machine).
    counted = [check for check in checks if check.started >= back_at and not check.decision.degraded]
    assert counted, "no check was counted after Redis came back"
    recovered_at = counted[0].ended
    assert recovered_at - back_at < 2 * INTERVAL
    assert [check for check in checks if check.started > recovered_at and check.decision.degraded] == []
    identity = identities[THREADS]
    assert [limiter.check(COUNTED, identity).remaining for _ in range(3)] == [2, 1, 0]
    denied = limiter.check(COUNTED, identity)
    assert not denied.allowed and not denied.degraded
    assert circuit.state().state == "closed"

    # One line when the breaker opened and one when it closed; no other circuit opened.
    lines = [record.getMessage() for record in caplog.records]
    node = f"127.0.0.1:{target.server.port}"
    assert [line.split(" (")[0] for line in lines if " is down" in line] == [f"Redis {node} is down"]
    assert [line.split(" after")[0] for line in lines if "answers again" in line] == [f"Redis {node} answers again"]
    assert [state for state in limiter.breaker.state() if state.node != circuit.node and state.opened] == []


@pytest.fixture(scope="module")
def pool(migrated_dsn: str) -> Iterator[ConnectionPool]:
    with ConnectionPool(migrated_dsn, min_size=1, max_size=4, open=True) as pool:
        yield pool


def test_a_count_redis_restored_from_its_append_only_file_is_not_served_after_a_write(
    target: Target, pool: ConnectionPool
) -> None:
    """A paused Redis would not prove this: the kernel buffers the DEL and Redis runs it on resume."""
    from notifydb import Client

    client = Client(pool)
    cache = UnreadCountCache(client, target.client)
    tenant = uuid.uuid4()
    (user,) = target.find(lambda _: uuid.uuid4(), lambda user: inbox_keys(tenant, user).count)[:1]
    count_key = inbox_keys(tenant, user).count

    def notify() -> None:
        client.create_notification(
            tenant_id=tenant, user_id=user, type="QUOTA_WARNING", title="Quota", message="90% used"
        )

    notify()
    assert cache.get(tenant, user) == 1
    assert target.client.get(count_key) == b"1"  # cached, and (appendfsync always) on disk

    target.server.kill()
    with ThreadPoolExecutor(1) as writer:  # the write comes from another thread of the process
        writer.submit(notify).result()  # committed; its invalidation is refused
    assert cache.not_invalidated == 1
    target.server.start()
    target.wait_serving()
    with redis.Redis(port=target.server.port) as server:
        assert server.get(count_key) == b"1"  # back from its file, holding the old count
        time.sleep(INTERVAL)  # until the breaker lets a call try the server again
        assert cache.get(tenant, user) == 2
        # Redis was asked (the remembered invalidation, then the new count cached), not bypassed:
        assert server.get(count_key) == b"2"
    assert cache.not_invalidated == 0
    assert cache.get(tenant, user) == 2


def test_one_breaker_per_client_is_shared_by_its_limiters_and_caches(
    throwaway_redis: LocalRedis, pool: ConnectionPool
) -> None:
    from notifydb import Client

    redis_client = connect(throwaway_redis.url, timeout=TIMEOUT, breaker_interval=60)
    limiter = RateLimiter(redis_client)
    cache = UnreadCountCache(Client(pool), redis_client)
    assert limiter.breaker is cache.breaker is RateLimiter(redis_client).breaker
    assert limiter.breaker.interval == 60
    assert RateLimiter(connect(throwaway_redis.url)).breaker is not limiter.breaker
    throwaway_redis.pause()
    assert limiter.check(CLOSED, "shared@example.com").degraded  # a timeout: the breaker opens
    assert cache.get(uuid.uuid4(), uuid.uuid4()) == 0  # from Postgres...
    (state,) = cache.breaker.state()
    assert (state.failures, state.skipped) == (1, 1)  # ...without reaching for Redis


def test_past_the_invalidations_it_remembers_the_cache_trusts_redis_with_no_count(
    pool: ConnectionPool, caplog: pytest.LogCaptureFixture
) -> None:
    """It forgets them, and serves every count from Postgres until the counts Redis may hold
    have expired, even once Redis answers again with them."""
    from notifydb import Client

    client = Client(pool)
    tenant, users = uuid.uuid4(), [uuid.uuid4() for _ in range(4)]
    with local_redis(*AOF) as server:
        cache = UnreadCountCache(client, connect(server.url, timeout=TIMEOUT, breaker_interval=INTERVAL))
        cache.max_remembered = 3
        client.fan_out_notification(tenant_id=tenant, user_ids=users, type="MAINTENANCE", title="T", message="M")
        assert [cache.get(tenant, user) for user in users] == [1, 1, 1, 1]
        server.kill()
        with caplog.at_level(logging.WARNING, logger="notifydb.unread_cache"):
            client.fan_out_notification(tenant_id=tenant, user_ids=users, type="MAINTENANCE", title="T", message="M")
        assert cache.not_invalidated == 0
        (record,) = [record for record in caplog.records if record.name == "notifydb.unread_cache"]
        assert "more than the 3 remembered" in record.getMessage()
        server.start()
        time.sleep(INTERVAL)  # the breaker would let a call try Redis again by now
        assert [cache.get(tenant, user) for user in users] == [2, 2, 2, 2]
        with redis.Redis(port=server.port) as direct:  # still there, never served
            assert [direct.get(inbox_keys(tenant, user).count) for user in users] == [b"1"] * 4
