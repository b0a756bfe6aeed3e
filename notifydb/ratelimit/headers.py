"""HTTP response header values for a Decision.

RateLimit / RateLimit-Policy follow the IETF httpapi draft "RateLimit header fields
for HTTP" (structured fields: `"name";r=remaining;t=seconds` and
`"name";q=quota;w=window`); X-RateLimit-* are the widespread de-facto names, with
X-RateLimit-Reset in seconds from now (as the draft does), not an epoch.
"""

from __future__ import annotations

import math

from notifydb.ratelimit.decision import Decision


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """Headers for `decision`; Retry-After only when it was denied."""
    decisions = decision.details or (decision,)
    headers = {
        "RateLimit": ", ".join(_limit_item(d) for d in decisions),
        "RateLimit-Policy": ", ".join(_policy_item(d) for d in decisions),
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(_whole_seconds(decision.reset_after)),
    }
    if not decision.allowed:
        # Retry-After is whole seconds; rounding down would send clients back too early.
        headers["Retry-After"] = str(max(_whole_seconds(decision.retry_after), 1))
    return headers


def _limit_item(decision: Decision) -> str:
    return f'"{decision.policy.name}";r={decision.remaining};t={_whole_seconds(decision.reset_after)}'


def _policy_item(decision: Decision) -> str:
    return f'"{decision.policy.name}";q={decision.limit};w={_whole_seconds(decision.policy.window_seconds)}'


def _whole_seconds(seconds: float) -> int:
    return math.ceil(seconds)
