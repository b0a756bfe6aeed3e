"""The notifydb client: one method per SQL function, keyword arguments without ``p_``."""

from __future__ import annotations

from notifydb.client_base import ClientBase
from notifydb.delivery import DeliveryMethods
from notifydb.events import EventMethods
from notifydb.notifications import NotificationMethods


class Client(NotificationMethods, EventMethods, DeliveryMethods, ClientBase):
    """``Client(conn_or_pool)``: one method per notifydb SQL function (docs/reference.md), same names, arguments
    without ``p_``; each call is one statement that commits by itself (see ``ClientBase``)."""
