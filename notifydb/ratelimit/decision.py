"""The answer to a rate-limit check."""

from __future__ import annotations

from dataclasses import dataclass

from notifydb.ratelimit.policy import Policy


@dataclass(frozen=True)
class Decision:
    """allowed: go ahead. remaining: attempts left in the window after this one.
    retry_after: seconds until an attempt can be allowed (0 when allowed). reset_after:
    seconds until the identity is back to its full quota. degraded: decided without
    Redis, by the policy's on_redis_error. details: one Decision per policy when a check
    covered several (this one is then the most restrictive of them), else empty.
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_after: float
    policy: Policy
    degraded: bool = False
    details: tuple[Decision, ...] = ()


def most_restrictive(decisions: list[Decision]) -> Decision:
    """The decision to report for several policies: the longest wait, else the fewest left."""
    denied = [d for d in decisions if not d.allowed]
    if denied:
        return max(denied, key=lambda d: d.retry_after)
    return min(decisions, key=lambda d: (d.remaining, -d.reset_after))
