"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""

from notifydb.client import Client
from notifydb.delivery import DeliveryContent, DeliveryJob
from notifydb.events import SeveritySummary, SystemEvent
from notifydb.listener import Announcement, AnnouncementListener, AnnouncementOp
from notifydb.notifications import Notification
from notifydb.ratelimit import Decision, Policy, RateLimiter
from notifydb.relay import Relay
from notifydb.unread_cache import UnreadCountCache

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
