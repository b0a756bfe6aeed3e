"""The notifydb client: one method per SQL function (see CONTRACT.md)."""

from __future__ import annotations

from notifydb.client_base import ClientBase
from notifydb.events import EventMethods


class Client(EventMethods, ClientBase):
    """A thin client over a psycopg Connection or ConnectionPool."""
