"""The limiter against a real Redis, and the same tests against a real 3-master Redis Cluster."""

from __future__ import annotations

import math
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from notifydb import Decision, Policy, RateLimiter, lua
from notifydb.redis_connection import RedisClient
from tests.ratelimit_helpers import all_keys, commands_sent, keys_without_ttl, server_time_us

RESET = Policy(name="auth:password-reset", limit=3, window_seconds=3600)
VERIFY = Policy(name="auth:verification-email", limit=10, window_seconds=86400)
STEADY = Policy(name="api:steady", limit=5, window_seconds=60, algorithm="gcra")
STUBBORN = Policy(name="auth:stubborn", limit=2, window_seconds=3600, count_rejected=True)


def attempts(limiter: RateLimiter, policy, identity: str, n: int) -> list[Decision]:
    return [limiter.check(policy, identity) for _ in range(n)]


@pytest.mark.parametrize("policy", [RESET, STEADY], ids=["sliding_window", "gcra"])
def test_quota_is_exact_in_sequence(any_redis: RedisClient, policy: Policy) -> None:
    decisions = attempts(RateLimiter(any_redis), policy, "a@example.com", policy.limit + 3)
    assert [d.allowed for d in decisions] == [True] * policy.limit + [False] * 3
    assert [d.remaining for d in decisions] == [*range(policy.limit - 1, -1, -1), 0, 0, 0]
    assert all(d.retry_after == 0 for d in decisions[: policy.limit])
    assert all(0 < d.retry_after <= policy.window_seconds for d in decisions[policy.limit :])


@pytest.mark.parametrize("policy", [Policy("burst", 5, 60), STEADY], ids=["sliding_window", "gcra"])
def test_fifty_threads_on_one_identity_admit_exactly_the_quota(any_redis: RedisClient, policy: Policy) -> None:
    limiter = RateLimiter(any_redis)
    start = threading.Barrier(50)

    def one_attempt(_: int) -> bool:
        start.wait()
        return limiter.check(policy, "Hot@Example.com").allowed

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one_attempt, range(50)))
    assert results.count(True) == policy.limit
    assert limiter.peek(policy, "hot@example.com").remaining == 0


def test_every_key_has_a_ttl_after_every_path(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    steps = [
        lambda: limiter.peek(RESET, "peek-only@example.com"),
        lambda: limiter.check(RESET, "a@example.com"),
        lambda: attempts(limiter, RESET, "a@example.com", 5),  # allowed, then denied
        lambda: attempts(limiter, STUBBORN, "b@example.com", 5),  # denied attempts recorded
        lambda: attempts(limiter, STEADY, "c@example.com", 8),  # gcra allowed and denied
        lambda: limiter.check([RESET, VERIFY, STEADY], "d@example.com"),
        lambda: attempts(limiter, [RESET, VERIFY], "a@example.com", 2),  # all-or-nothing denial
        lambda: limiter.peek([RESET, STEADY], "c@example.com"),
        lambda: limiter.reset(RESET, "d@example.com"),
    ]
    for step in steps:
        step()
        assert keys_without_ttl(any_redis) == []
    # Nothing was written for the verification policy of the denied all-or-nothing call.
    assert "auth:verification-email:{a@example.com}:tries:sw2" not in all_keys(any_redis)
    assert len(all_keys(any_redis)) == 5


def test_variants_share_one_key(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    variants = ["user@b\u00fccher.de", " USER@BU\u0308CHER.DE ", "\uff35ser@xn--bcher-kva.de"]
    decisions = [limiter.check(RESET, v) for v in [*variants, "user@bücher.de"]]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert all_keys(any_redis) == ["auth:password-reset:{user@xn--bcher-kva.de}:tries:sw2"]


def test_no_raw_email_in_redis_with_a_secret(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis, secret=b"test secret")
    emails = ["Alice.Smith@Example.com", "bob@b\u00fccher.de", "carol+tag@example.org"]
    for email in emails:
        limiter.check([RESET, VERIFY], email)
        limiter.check(STEADY, email)
    keys = all_keys(any_redis)
    assert len(keys) == 9
    for key in keys:
        assert "@" not in key
        for email in emails:
            local_part = email.split("@")[0].casefold()
            assert local_part not in key.casefold()


def test_sliding_window_is_exact_across_a_window_edge(any_redis: RedisClient) -> None:
    """A fixed window would admit 2 more right after its edge; the sliding one admits 1."""
    limiter = RateLimiter(any_redis)
    policy = Policy("edge", limit=2, window_seconds=2)
    assert limiter.check(policy, "e").allowed
    time.sleep(1.0)
    assert limiter.check(policy, "e").allowed
    denied = limiter.check(policy, "e")
    assert not denied.allowed
    assert 0.5 < denied.retry_after <= 1.0  # when the first attempt leaves the window
    time.sleep(denied.retry_after - 0.4)
    assert not limiter.check(policy, "e").allowed  # the first attempt is still in the window
    time.sleep(0.6)
    after_edge = [limiter.check(policy, "e").allowed for _ in range(3)]
    assert after_edge == [True, False, False]  # the second attempt still counts


def test_gcra_refills_at_the_steady_rate(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    policy = Policy("steady", limit=2, window_seconds=2, algorithm="gcra")  # one per second
    assert [d.allowed for d in attempts(limiter, policy, "g", 3)] == [True, True, False]
    denied = limiter.check(policy, "g")
    assert 0.5 < denied.retry_after <= 1.0
    time.sleep(denied.retry_after + 0.05)
    assert [d.allowed for d in attempts(limiter, policy, "g", 2)] == [True, False]


def test_rejected_attempts_count_only_when_the_policy_says_so(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    lenient = Policy("lenient", limit=1, window_seconds=1)
    stubborn = Policy("stubborn", limit=1, window_seconds=1, count_rejected=True)
    both = (lenient, stubborn)
    assert all(limiter.check(policy, "x").allowed for policy in both)
    time.sleep(0.6)
    assert not any(limiter.check(policy, "x").allowed for policy in both)
    time.sleep(0.5)  # the allowed attempt has left both windows, the rejected one has not
    assert limiter.check(lenient, "x").allowed
    assert not limiter.check(stubborn, "x").allowed


def test_several_policies_are_all_or_nothing(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    tight = Policy("auth:tight", limit=1, window_seconds=3600)
    both = [RESET, tight]
    first = limiter.check(both, "m@example.com")
    assert first.allowed and len(first.details) == 2
    second = limiter.check(both, "m@example.com")
    assert not second.allowed
    assert second.policy == tight and second.retry_after > 3590
    assert [d.allowed for d in second.details] == [True, False]
    # The denied call consumed nothing from the policy that had room.
    assert limiter.peek(RESET, "m@example.com").remaining == 2


def test_peek_does_not_consume(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    for _ in range(5):
        peeked = limiter.peek([RESET, STEADY], "p@example.com")
        assert peeked.allowed and [d.remaining for d in peeked.details] == [3, 5]
    assert all_keys(any_redis) == []
    limiter.check(RESET, "p@example.com")
    assert limiter.peek(RESET, "p@example.com").remaining == 2
    assert limiter.peek(RESET, "p@example.com").remaining == 2


def test_reset_forgets_the_identity_only(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    attempts(limiter, [RESET, STEADY], "r@example.com", 4)
    attempts(limiter, RESET, "other@example.com", 4)
    assert limiter.reset([RESET, STEADY], "R@Example.com") == 2
    assert limiter.check(RESET, "r@example.com").remaining == 2
    assert limiter.peek(STEADY, "r@example.com").remaining == 5
    assert not limiter.check(RESET, "other@example.com").allowed


def test_policies_of_one_identity_share_a_cluster_slot(cluster_client: RedisClient) -> None:
    limiter = RateLimiter(cluster_client)
    keys = limiter.keys([RESET, VERIFY, STEADY], "slot@example.com")
    slots = {cluster_client.keyslot(key) for key in keys}
    assert len(slots) == 1
    spread = {cluster_client.keyslot(limiter.keys(RESET, f"user{i}@example.com")[0]) for i in range(50)}
    nodes = {cluster_client.nodes_manager.get_node_from_slot(slot).name for slot in spread}
    assert len(nodes) == 3  # identities spread over every primary; checks still work on each
    for i in range(50):
        assert limiter.check([RESET, VERIFY, STEADY], f"user{i}@example.com").allowed


@pytest.mark.parametrize(
    "policies",
    [RESET, STUBBORN, STEADY, [RESET, STUBBORN, STEADY], [Policy("auth:tight", limit=1, window_seconds=3600), VERIFY]],
    ids=["sliding_window", "count_rejected", "gcra", "three_policies", "all_or_nothing"],
)
def test_a_check_reports_the_state_a_peek_then_reads(any_redis: RedisClient, policies) -> None:
    """The script derives a check's answer from what it read and wrote; a peek reads it back from Redis."""
    limiter = RateLimiter(any_redis)
    for _ in range(6):
        checked = limiter.check(policies, "state@example.com")
        peeked = limiter.peek(policies, "state@example.com")
        for after_check, read_back in zip(checked.details or (checked,), peeked.details or (peeked,), strict=True):
            assert read_back.remaining == after_check.remaining
            assert 0 <= after_check.reset_after - read_back.reset_after < 1.0
            if not after_check.allowed and not read_back.allowed:
                assert 0 <= after_check.retry_after - read_back.retry_after < 1.0


def test_keys_follow_the_secret_of_each_limiter(any_redis: RedisClient) -> None:
    """Tags are remembered per (identity, secret): limiters with other secrets never share them."""
    keys = [RateLimiter(any_redis, secret=s).keys(RESET, "k@example.com")[0] for s in (b"one", b"two", None, b"one")]
    assert len(set(keys[:3])) == 3 and keys[3] == keys[0]
    assert keys[2] == "auth:password-reset:{k@example.com}:tries:sw2"


@pytest.mark.parametrize(("limit", "window_seconds"), [(3000, 1), (7, 0.1), (999, 86400)])
def test_a_gcra_burst_admits_exactly_the_limit(redis_client: RedisClient, limit: int, window_seconds: float) -> None:
    """window / limit need not be whole (3000 per second: 333.3 µs). Rounding the interval down
    and testing room against the whole window admitted 3003 in a burst of 3000 per second."""
    limiter = RateLimiter(redis_client)
    policy = Policy("api:burst", limit=limit, window_seconds=window_seconds, algorithm="gcra")
    interval = math.ceil(policy.window_ms * 1000 / limit)
    first = limiter.check(policy, "first")
    assert (first.remaining, first.reset_after) == (limit - 1, interval / 1e6)  # exact: no time has passed
    # A burst faster than the refill: the checks pipelined, so they run back to back in Redis.
    (key,) = limiter.keys(policy, "burst")
    sha = redis_client.script_load(lua.load("rate_limit.lua"))
    pipeline = redis_client.pipeline(transaction=False)
    pipeline.time()
    for _ in range(3 * limit):
        pipeline.evalsha(sha, 1, key, "consume", *policy.script_args)
    pipeline.time()
    started, *results, ended = pipeline.execute()
    admitted = [allowed for allowed, _ in results]
    elapsed = (ended[0] - started[0]) * 1_000_000 + ended[1] - started[1]
    assert all(admitted[:limit]) and not all(admitted)
    # Each admission moves the TAT on by one interval and needs it at most limit - 1
    # intervals ahead of now: beyond the burst, only what `elapsed` refilled.
    assert sum(admitted) <= limit + elapsed // interval


def test_a_check_is_one_evalsha_decided_on_the_server_clock(redis_client: RedisClient) -> None:
    limiter = RateLimiter(redis_client)
    limiter.check(RESET, "warm-up@example.com")  # the first check on a server loads the script
    before = server_time_us(redis_client)
    with commands_sent(redis_client) as sent:
        decision = limiter.check(RESET, "clock@example.com")
    after = server_time_us(redis_client)
    assert decision.allowed and decision.remaining == 2
    ((command, *args),) = sent
    assert command == "EVALSHA"
    # No argument is a time: not in seconds, milliseconds or microseconds.
    for arg in args:
        if arg.isdigit():
            assert not any(abs(int(arg) - before / scale) < 86400 * 1e6 / scale for scale in (1, 1e3, 1e6))
    (stored,) = struct.unpack("<d", redis_client.get(limiter.keys(RESET, "clock@example.com")[0]))
    assert before <= stored <= after


def test_a_script_error_raises_even_for_a_policy_that_fails_open(any_redis: RedisClient) -> None:
    """A wrong-typed key is a bug (or a foreign key in our namespace), not an outage: it must not allow everything."""
    limiter = RateLimiter(any_redis)
    lenient = Policy("auth:lenient", limit=3, window_seconds=60, on_redis_error="open")
    (key,) = limiter.keys(lenient, "typed@example.com")
    any_redis.rpush(key, "not a string")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        limiter.check(lenient, "typed@example.com")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        limiter.check([lenient, RESET], "typed@example.com")


def test_a_server_that_lost_the_script_gets_it_again(any_redis: RedisClient) -> None:
    limiter = RateLimiter(any_redis)
    assert limiter.check(RESET, "flush@example.com").remaining == 2
    any_redis.script_flush()
    assert limiter.check(RESET, "flush@example.com").remaining == 1
