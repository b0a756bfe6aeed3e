"""Without Redis the limiter answers by each policy's on_redis_error, within its timeout."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.crc import key_slot
from redis.retry import Retry

from notifydb import Policy, RateLimiter
from notifydb.ratelimit import connect
from notifydb.redis_connection import ClusterDownReply
from tests.ratelimit_helpers import node_of, wait_until_marked_failed
from tests.support.redis_server import LocalRedis

TIMEOUT = 0.1
# A hang detector, not a benchmark: one timeout, on a cluster maybe a second one while
# redis-py refreshes the topology, and what a loaded 2-core machine adds (measured
# 0.10-0.14 s; CI once 0.31 s); redis-py's default retries with backoff would take seconds.
# How many calls waited is asserted exactly, from the breaker's counters.
LATENCY_BOUND = 6 * TIMEOUT

OPEN = Policy(name="auth:verification-email", limit=10, window_seconds=86400, on_redis_error="open")
CLOSED = Policy(name="auth:password-reset", limit=3, window_seconds=3600, on_redis_error="closed")


@pytest.fixture(params=["stopped", "paused"])
def broken_redis_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_redis_url")


@pytest.mark.parametrize(("policies", "allowed"), [(OPEN, True), (CLOSED, False), ([OPEN, CLOSED], False)])
def test_broken_redis_answers_fast_by_policy(
    broken_redis_url: str, policies, allowed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(connect(broken_redis_url, timeout=TIMEOUT, breaker_interval=60))  # no probe here
    with caplog.at_level(logging.INFO, logger="notifydb"):
        for method in (limiter.check, limiter.peek, limiter.check):
            started = time.monotonic()
            decision = method(policies, "user@example.com")
            assert time.monotonic() - started < LATENCY_BOUND
            assert decision.allowed is allowed
            assert decision.degraded
            assert decision.retry_after == (0 if allowed else 1.0)
    # The first check found Redis down and opened the breaker; the others did not ask Redis.
    (state,) = limiter.breaker.state()
    assert (state.state, state.failures, state.skipped) == ("open", 1, 2)
    (record,) = caplog.records  # one line for the outage, none per check
    assert record.name == "notifydb.redis" and record.levelno == logging.WARNING
    assert "is down" in record.getMessage()
    assert "user@example.com" not in record.getMessage()


def test_reset_on_a_broken_redis_raises(stopped_redis_url: str) -> None:
    limiter = RateLimiter(connect(stopped_redis_url))
    with pytest.raises(redis.ConnectionError):
        limiter.reset(CLOSED, "user@example.com")


def test_the_limiter_recovers_when_redis_answers_again(throwaway_redis: LocalRedis) -> None:
    interval = 1.0
    limiter = RateLimiter(connect(throwaway_redis.url, timeout=TIMEOUT, breaker_interval=interval))
    assert limiter.check(CLOSED, "back@example.com").remaining == 2
    throwaway_redis.pause()
    assert limiter.check(CLOSED, "back@example.com").degraded  # a timeout: the breaker opens
    throwaway_redis.resume()
    assert limiter.check(CLOSED, "back@example.com").degraded  # Redis not asked until the interval ends
    assert limiter.breaker.state()[0].skipped == 1
    time.sleep(interval)
    decision = limiter.check(CLOSED, "back@example.com")  # the probe: Redis answers, the breaker closes
    assert decision.allowed and not decision.degraded
    # The timed-out attempt may still have reached Redis when it resumed: it can count.
    assert decision.remaining in (0, 1)
    assert limiter.breaker.state()[0].state == "closed"


@pytest.mark.parametrize(
    "make_client",
    [
        lambda url: redis.Redis.from_url(url),  # no read timeout
        lambda url: redis.Redis.from_url(url, socket_timeout=0.1, retry_on_timeout=True),
        lambda url: redis.Redis(port=redis.connection.parse_url(url)["port"], socket_timeout=0.1),  # 10 retries
        lambda url: redis.Redis.from_url(url, socket_timeout=5),
    ],
    ids=["from_url_defaults", "retry_on_timeout", "constructor_defaults", "slow"],
)
def test_clients_that_do_not_fail_fast_are_refused(redis_url: str, make_client) -> None:
    with pytest.raises(ValueError, match="does not fail fast"):
        RateLimiter(make_client(redis_url))


def test_a_client_without_retries_and_with_short_timeouts_is_accepted(redis_url: str) -> None:
    RateLimiter(redis.Redis.from_url(redis_url, socket_timeout=0.2, socket_connect_timeout=0.2))


def test_cluster_clients_that_retry_are_refused(redis_cluster) -> None:
    url = redis_cluster().get_default_node().redis_connection.get_connection_kwargs()
    client = RedisCluster(host=url["host"], port=url["port"], socket_timeout=0.1)
    with pytest.raises(ValueError, match="retries"):
        RateLimiter(client)
    client.close()


def test_cluster_clients_that_sleep_on_clusterdown_are_refused(redis_cluster) -> None:
    url = redis_cluster().get_default_node().redis_connection.get_connection_kwargs()
    client = RedisCluster(
        host=url["host"], port=url["port"], socket_timeout=0.1, socket_connect_timeout=0.1, retry=Retry(NoBackoff(), 0)
    )
    with pytest.raises(ValueError, match="CLUSTERDOWN"):
        RateLimiter(client)
    client.close()


def test_a_clusterdown_reply_is_raised_at_once(own_cluster: list[LocalRedis]) -> None:
    """redis-py sleeps 0.25 s and refreshes the slot map on a ClusterDownError before raising
    it; a client of connect(cluster=True) gets a ClusterDownReply at once instead. A slot no
    node serves answers CLUSTERDOWN: the limiter degrades its identities, and only theirs."""
    client = connect(own_cluster[0].url, timeout=TIMEOUT, cluster=True)
    limiter = RateLimiter(client)
    identity = "unserved@example.com"
    key = limiter.keys(CLOSED, identity)[0]
    node = node_of(client, key, own_cluster)
    neighbour = next(  # another slot of the same node
        f"user{i}@example.com"
        for i in range(1000)
        if node_of(client, limiter.keys(CLOSED, f"user{i}@example.com")[0], own_cluster) is node
        and key_slot(limiter.keys(CLOSED, f"user{i}@example.com")[0].encode()) != key_slot(key.encode())
    )
    with redis.Redis(port=node.port) as direct:
        direct.execute_command("CLUSTER", "DELSLOTS", key_slot(key.encode()))
        try:
            started = time.monotonic()
            with pytest.raises(ClusterDownReply, match="not served"):
                client.get(key)
            assert time.monotonic() - started < 0.25
            decision = limiter.check(CLOSED, identity)
            assert decision.degraded and not decision.allowed
            assert not limiter.check(CLOSED, neighbour).degraded  # the node's breaker stayed closed
        finally:
            direct.execute_command("CLUSTER", "ADDSLOTS", key_slot(key.encode()))


@pytest.mark.parametrize(("policy", "allowed"), [(OPEN, True), (CLOSED, False)])
def test_a_redis_out_of_memory_is_an_outage(throwaway_redis: LocalRedis, policy: Policy, allowed: bool) -> None:
    client = connect(throwaway_redis.url, timeout=TIMEOUT)
    limiter = RateLimiter(client)
    assert limiter.check(policy, "oom@example.com").remaining == policy.limit - 1
    client.config_set("maxmemory", 1)  # and the default noeviction: every write is refused
    decision = limiter.check(policy, "oom@example.com")
    assert decision.degraded and decision.allowed is allowed
    peeked = limiter.peek(policy, "oom@example.com")  # reading still works
    assert not peeked.degraded and peeked.remaining == policy.limit - 1
    assert limiter.breaker.state()[0].state == "closed"  # a refused write does not take the node down


def test_a_redis_busy_with_a_runaway_script_is_an_outage(throwaway_redis: LocalRedis) -> None:
    interval = 0.2
    client = connect(throwaway_redis.url, timeout=TIMEOUT, breaker_interval=interval)
    limiter = RateLimiter(client)
    limiter.check(OPEN, "busy@example.com")
    client.config_set("busy-reply-threshold", 10)  # ms a script runs before others get BUSY
    runaway_client = redis.Redis.from_url(throwaway_redis.url)

    def run_away() -> None:
        with contextlib.suppress(redis.ResponseError):  # SCRIPT KILL ends it with an error
            runaway_client.eval("while true do end", 0)

    runaway = threading.Thread(target=run_away)
    runaway.start()
    try:
        time.sleep(0.1)
        decision = limiter.check(OPEN, "busy@example.com")
        assert decision.degraded and decision.allowed
        assert limiter.breaker.state()[0].state == "open"  # BUSY: the node serves nothing else
    finally:
        redis.Redis.from_url(throwaway_redis.url).script_kill()
        runaway.join(10)
    time.sleep(interval)
    assert not limiter.check(OPEN, "busy@example.com").degraded


def test_a_hung_cluster_node_costs_its_identities_one_timeout(
    own_cluster: list[LocalRedis], caplog: pytest.LogCaptureFixture
) -> None:
    """The other primaries' identities are answered as usual, before and after the cluster
    marks the hung node failed (see own_cluster: cluster-require-full-coverage no)."""
    client = connect(own_cluster[0].url, timeout=TIMEOUT, cluster=True)
    limiter = RateLimiter(client)
    by_node = {}
    for i in range(200):
        identity = f"user{i}@example.com"
        by_node.setdefault(node_of(client, limiter.keys(CLOSED, identity)[0], own_cluster).port, identity)
    hung = own_cluster[1]
    hung_identity = by_node.pop(hung.port)
    assert len(by_node) == 2

    def hung_circuit():
        return next(state for state in limiter.breaker.state() if state.node.endswith(f":{hung.port}"))

    for identity in [hung_identity, *by_node.values()]:
        assert limiter.check(CLOSED, identity).remaining == 2
    hung.pause()
    try:
        for phase in ("before the cluster noticed", "after it marked the node failed"):
            failures_before = hung_circuit().failures
            for policies, allowed in ((CLOSED, False), (OPEN, True), ([OPEN, CLOSED], False)):
                started = time.monotonic()
                decision = limiter.check(policies, hung_identity)
                assert time.monotonic() - started < LATENCY_BOUND, phase
                assert decision.degraded and decision.allowed is allowed, phase
            assert hung_circuit().failures - failures_before <= 1, phase  # one check waited, at most
            for identity in by_node.values():
                decision = limiter.check(CLOSED, identity)
                assert not decision.degraded and decision.allowed, phase
                limiter.reset(CLOSED, identity)
            wait_until_marked_failed(hung, own_cluster)
    finally:
        hung.resume()
