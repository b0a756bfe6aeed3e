"""Without Redis the limiter answers by each policy's on_redis_error, within its timeout."""

from __future__ import annotations

import logging
import time

import pytest
import redis
from redis.cluster import RedisCluster

from notifydb import Policy, RateLimiter
from notifydb.ratelimit import connect
from tests.support.redis_server import LocalRedis

# A behaviour bound for a 0.1 s timeout without retries, not a benchmark: redis-py's
# default retries with backoff would take seconds.
LATENCY_BOUND = 1.0

OPEN = Policy(name="auth:verification-email", limit=10, window_seconds=86400, on_redis_error="open")
CLOSED = Policy(name="auth:password-reset", limit=3, window_seconds=3600, on_redis_error="closed")


@pytest.fixture(params=["stopped", "paused"])
def broken_redis_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_redis_url")


@pytest.mark.parametrize(("policies", "allowed"), [(OPEN, True), (CLOSED, False), ([OPEN, CLOSED], False)])
def test_broken_redis_answers_fast_by_policy(
    broken_redis_url: str, policies, allowed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(connect(broken_redis_url, timeout=0.1))
    for method in (limiter.check, limiter.peek):
        caplog.clear()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="notifydb.ratelimit"):
            decision = method(policies, "user@example.com")
        assert time.monotonic() - started < LATENCY_BOUND
        assert decision.allowed is allowed
        assert decision.degraded
        assert decision.retry_after == (0 if allowed else 1.0)
        (record,) = caplog.records
        assert record.name == "notifydb.ratelimit" and "degraded" in record.getMessage()
        assert "user@example.com" not in record.getMessage()


def test_reset_on_a_broken_redis_raises(stopped_redis_url: str) -> None:
    limiter = RateLimiter(connect(stopped_redis_url))
    with pytest.raises(redis.ConnectionError):
        limiter.reset(CLOSED, "user@example.com")


def test_the_limiter_recovers_when_redis_answers_again(throwaway_redis: LocalRedis) -> None:
    limiter = RateLimiter(connect(throwaway_redis.url, timeout=0.1))
    assert limiter.check(CLOSED, "back@example.com").remaining == 2
    throwaway_redis.pause()
    assert limiter.check(CLOSED, "back@example.com").degraded
    throwaway_redis.resume()
    decision = limiter.check(CLOSED, "back@example.com")
    assert decision.allowed and not decision.degraded
    # The timed-out attempt may still have reached Redis when it resumed: it can count.
    assert decision.remaining in (0, 1)


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
