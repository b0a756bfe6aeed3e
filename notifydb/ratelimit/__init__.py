"""The Redis over-sending rate limiter."""

from notifydb.ratelimit.decision import Decision
from notifydb.ratelimit.headers import rate_limit_headers
from notifydb.ratelimit.limiter import RateLimiter
from notifydb.ratelimit.normalise import normalise_identity
from notifydb.ratelimit.policy import Policy
from notifydb.redis_connection import connect

__all__ = ["Decision", "Policy", "RateLimiter", "connect", "normalise_identity", "rate_limit_headers"]
