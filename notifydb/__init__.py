"""notifydb: a Postgres notifications and system-events database, and a thin client for it."""

from notifydb.client import Client
from notifydb.delivery import DeliveryContent, DeliveryJob
from notifydb.listener import Announcement, AnnouncementListener
from notifydb.relay import Relay

__all__ = ["Announcement", "AnnouncementListener", "Client", "DeliveryContent", "DeliveryJob", "Relay"]
