"""The rate limiter: one EVALSHA per check, decided atomically on the Redis server's clock."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import replace

from redis.exceptions import NoScriptError

from notifydb import lua
from notifydb.ratelimit.decision import Decision, most_restrictive
from notifydb.ratelimit.keys import identity_tag, policy_key
from notifydb.ratelimit.policy import Policy
from notifydb.redis_breaker import RedisBreaker, breaker_for
from notifydb.redis_connection import REDIS_ERRORS, RedisClient, is_outage, node_is_down, require_fail_fast

logger = logging.getLogger("notifydb.ratelimit")

_SCRIPT = lua.load("rate_limit.lua")
_SCRIPT_SHA = hashlib.sha1(_SCRIPT.encode("utf-8")).hexdigest()

# A denied caller without Redis is told to come back soon, not after a whole window.
DEGRADED_RETRY_AFTER = 1.0


class RateLimiter:
    """Over-sending protection: `check` counts an attempt, `peek` only looks, `reset` forgets.

    Pass one Policy or several; several are all-or-nothing: the attempt is counted
    against every policy only if every policy allows it. With a `secret`, keys hold an
    HMAC of the normalised identity instead of the identity. The Redis client must fail
    fast (see notifydb.redis_connection): build it with notifydb.ratelimit.connect().

    When Redis cannot answer (unreachable, timed out, out of memory, BUSY, cluster down), the
    decision follows each policy's on_redis_error. Any other error reply (a script error,
    WRONGTYPE, a missing permission) is a bug, not an outage: it raises.

    A node that is down opens the client's circuit breaker (`self.breaker`, shared with
    every limiter and cache on the same client): checks of its identities are then decided
    at once without Redis, but for one probe per interval, and the breaker logs the outage's
    start and end (notifydb.redis_breaker). A refusal of the command alone (out of memory,
    READONLY) leaves the breaker closed and is logged per check.
    """

    def __init__(self, redis_client: RedisClient, secret: bytes | None = None) -> None:
        require_fail_fast(redis_client)
        self._redis = redis_client
        self._secret = secret
        self.breaker: RedisBreaker = breaker_for(redis_client)

    def check(self, policies: Policy | Sequence[Policy], identity: str) -> Decision:
        return self._decide("consume", _as_tuple(policies), identity)

    def peek(self, policies: Policy | Sequence[Policy], identity: str) -> Decision:
        return self._decide("peek", _as_tuple(policies), identity)

    def reset(self, policies: Policy | Sequence[Policy], identity: str) -> int:
        """Forget the identity's attempts; returns how many keys existed. Redis errors raise."""
        return self._redis.delete(*self.keys(policies, identity))

    def keys(self, policies: Policy | Sequence[Policy], identity: str) -> list[str]:
        return self._keys(_as_tuple(policies), identity)

    def _keys(self, policies: tuple[Policy, ...], identity: str) -> list[str]:
        tag = identity_tag(identity, self._secret)
        return [policy_key(policy, tag) for policy in policies]

    def _decide(self, mode: str, policies: tuple[Policy, ...], identity: str) -> Decision:
        keys = self._keys(policies, identity)
        args = [mode]
        for policy in policies:
            args += policy.script_args
        circuit = self.breaker.circuit_for(keys[0])
        ticket = circuit.enter()
        if ticket is None:
            return _degraded(policies)
        try:
            allowed, results = self._run_script(keys, args)
        except REDIS_ERRORS as exc:
            circuit.failed(ticket, exc)
            if not is_outage(exc):
                raise
            if not node_is_down(exc):
                _log_refused(policies, exc)
            return _degraded(policies)
        circuit.answered(ticket)
        decisions = [_decision(policy, result) for policy, result in zip(policies, results, strict=True)]
        return _combine(decisions, allowed=bool(allowed))

    def _run_script(self, keys: list[str], args: list) -> list:
        """EVALSHA, loading the script first only when this server does not have it yet."""
        # execute_command directly: redis-py's Script wrapper added about 15% of a GET round trip.
        try:
            return self._redis.execute_command("EVALSHA", _SCRIPT_SHA, len(keys), *keys, *args)
        except NoScriptError:
            self._redis.script_load(_SCRIPT)
            return self._redis.execute_command("EVALSHA", _SCRIPT_SHA, len(keys), *keys, *args)


def _as_tuple(policies: Policy | Sequence[Policy]) -> tuple[Policy, ...]:
    if isinstance(policies, Policy):
        return (policies,)
    result = tuple(policies)
    if not result:
        raise ValueError("policies must name at least one Policy")
    if len({policy.name for policy in result}) != len(result):
        raise ValueError("policies must have distinct names")
    return result


def _decision(policy: Policy, result: list[int]) -> Decision:
    """One policy's view: `allowed` says whether this policy had room."""
    own_allowed, remaining, retry_after_us, reset_after_us = result
    allowed = bool(own_allowed)
    return Decision(
        allowed=allowed,
        limit=policy.limit,
        remaining=remaining,
        retry_after=0.0 if allowed else retry_after_us / 1e6,
        reset_after=reset_after_us / 1e6,
        policy=policy,
    )


def _combine(decisions: list[Decision], allowed: bool) -> Decision:
    """The answer for the whole call, shaped like its most restrictive policy's."""
    if len(decisions) == 1:
        return decisions[0]
    chosen = most_restrictive(decisions)
    return replace(chosen, allowed=allowed, details=tuple(decisions))


def _log_refused(policies: tuple[Policy, ...], exc: Exception) -> None:
    """A Redis that answers but refused this check (full, READONLY): not an outage the breaker logs."""
    logger.warning(
        "rate limit degraded: Redis refused the check (%s: %s); %s %s",
        type(exc).__name__,
        exc,
        "allowing" if _allowed_without_redis(policies) else "denying",
        ", ".join(policy.name for policy in policies),
    )


def _allowed_without_redis(policies: tuple[Policy, ...]) -> bool:
    return all(policy.on_redis_error == "open" for policy in policies)


def _degraded(policies: tuple[Policy, ...]) -> Decision:
    """Decide by each policy's on_redis_error: allowed only if every policy fails open."""
    allowed = _allowed_without_redis(policies)
    decisions = [
        Decision(
            allowed=allowed,
            limit=policy.limit,
            remaining=0,
            retry_after=0.0 if allowed else DEGRADED_RETRY_AFTER,
            reset_after=0.0,
            policy=policy,
            degraded=True,
        )
        for policy in policies
    ]
    return _combine(decisions, allowed=allowed)
