"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""

from notifydb.client import Client
from notifydb.events import SeveritySummary, SystemEvent

__all__ = ["Client", "SeveritySummary", "SystemEvent"]
