"""notifydb: a Postgres notifications and system-events database, and a thin client for it.

The rate limiter and the unread-count cache need Redis (``pip install 'notifydb[redis]'``);
they are imported on first use, so the SQL client alone never loads redis-py.
"""

from importlib import import_module

from notifydb.client import Client
from notifydb.delivery import DeliveryContent, DeliveryJob
from notifydb.events import SeveritySummary, SystemEvent
from notifydb.listener import Announcement, AnnouncementListener, AnnouncementOp
from notifydb.notifications import Notification
from notifydb.relay import Relay

_NEEDS_REDIS = {
    "Decision": "notifydb.ratelimit",
    "Policy": "notifydb.ratelimit",
    "RateLimiter": "notifydb.ratelimit",
    "UnreadCountCache": "notifydb.unread_cache",
}
REDIS_PACKAGES = ("redis", "hiredis", "idna")


def __getattr__(name: str):
    if name not in _NEEDS_REDIS:
        raise AttributeError(f"module 'notifydb' has no attribute {name!r}")
    try:
        return getattr(import_module(_NEEDS_REDIS[name]), name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in REDIS_PACKAGES:
            raise ImportError(f"notifydb.{name} needs Redis support: pip install 'notifydb[redis]'") from exc
        raise


__all__ = [
    "Announcement",
    "AnnouncementListener",
    "AnnouncementOp",
    "Client",
    "Decision",
    "DeliveryContent",
    "DeliveryJob",
    "Notification",
    "Policy",
    "RateLimiter",
    "Relay",
    "SeveritySummary",
    "SystemEvent",
    "UnreadCountCache",
]
