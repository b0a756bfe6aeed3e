"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""

from notifydb.ratelimit import Decision as Decision
from notifydb.ratelimit import Policy as Policy
from notifydb.ratelimit import RateLimiter as RateLimiter
from notifydb.unread_cache import UnreadCountCache as UnreadCountCache
