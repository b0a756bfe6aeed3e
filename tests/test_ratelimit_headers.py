"""HTTP header values from real decisions."""

from __future__ import annotations

import redis

from notifydb import Policy, RateLimiter
from notifydb.ratelimit import rate_limit_headers

RESET = Policy(name="auth:password-reset", limit=3, window_seconds=3600)
VERIFY = Policy(name="auth:verification-email", limit=10, window_seconds=86400)


def test_headers_of_an_allowed_attempt(redis_client: redis.Redis) -> None:
    headers = rate_limit_headers(RateLimiter(redis_client).check(RESET, "h@example.com"))
    assert headers == {
        "RateLimit": '"auth:password-reset";r=2;t=3600',
        "RateLimit-Policy": '"auth:password-reset";q=3;w=3600',
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "2",
        "X-RateLimit-Reset": "3600",
    }


def test_headers_of_a_denied_attempt_say_when_to_retry(redis_client: redis.Redis) -> None:
    limiter = RateLimiter(redis_client)
    for _ in range(3):
        limiter.check(RESET, "h@example.com")
    denied = limiter.check(RESET, "h@example.com")
    headers = rate_limit_headers(denied)
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["Retry-After"] == "3600"  # 3599.99… rounded up, never down
    assert headers["RateLimit"] == '"auth:password-reset";r=0;t=3600'


def test_headers_of_several_policies_list_each(redis_client: redis.Redis) -> None:
    decision = RateLimiter(redis_client).check([RESET, VERIFY], "h@example.com")
    headers = rate_limit_headers(decision)
    assert headers["RateLimit-Policy"] == '"auth:password-reset";q=3;w=3600, "auth:verification-email";q=10;w=86400'
    assert headers["RateLimit"] == '"auth:password-reset";r=2;t=3600, "auth:verification-email";r=9;t=86400'
    assert headers["X-RateLimit-Limit"] == "3"  # the most restrictive policy
    assert "Retry-After" not in headers


def test_a_degraded_denial_asks_for_a_quick_retry(stopped_redis_url: str) -> None:
    from notifydb.ratelimit import connect

    decision = RateLimiter(connect(stopped_redis_url)).check(RESET, "h@example.com")
    assert rate_limit_headers(decision)["Retry-After"] == "1"
