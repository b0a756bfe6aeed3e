"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""

from notifydb.client import Client
from notifydb.notifications import Notification

__all__ = ["Client", "Notification"]
