"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""

from notifydb.ratelimit import Decision, Policy, RateLimiter
from notifydb.unread_cache import UnreadCountCache

__all__ = ["Decision", "Policy", "RateLimiter", "UnreadCountCache"]
