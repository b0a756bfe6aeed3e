"""The notifydb client: one method per SQL function, keyword arguments without ``p_``."""

from __future__ import annotations

from notifydb.client_base import ClientBase
from notifydb.delivery import DeliveryMethods
from notifydb.events import EventMethods


class Client(EventMethods, DeliveryMethods, ClientBase):
    """A thin client over the notifydb functions, on a psycopg Connection or ConnectionPool."""
