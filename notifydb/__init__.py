"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""

from notifydb.client import Client
from notifydb.events import SeveritySummary, SystemEvent
from notifydb.ratelimit import Decision, Policy, RateLimiter
from notifydb.unread_cache import UnreadCountCache

__all__ = [
    "Client",
    "Decision",
    "Policy",
    "RateLimiter",
    "SeveritySummary",
    "SystemEvent",
    "UnreadCountCache",
]
