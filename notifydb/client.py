"""The notifydb client: every SQL function as a method, on a psycopg Connection or ConnectionPool."""

from __future__ import annotations

from notifydb.client_base import ClientBase
from notifydb.notifications import NotificationMethods


class Client(NotificationMethods, ClientBase):
    """``Client(conn_or_pool)``; each call runs in a transaction of its own."""
