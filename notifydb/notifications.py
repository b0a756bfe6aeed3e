"""The notification functions as client methods: one per SQL function, same names, no ``p_``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class Notification:
    """One row of ``list_notifications``."""

    id: UUID
    type: str
    title: str
    message: str
    channel: str
    data: dict[str, Any] | None
    is_read: bool
    created_at: datetime
    read_at: datetime | None
    expires_at: datetime | None


_CREATE = """
SELECT notifydb.create_notification(
    p_tenant_id => %(tenant_id)s::uuid, p_user_id => %(user_id)s::uuid,
    p_type => %(type)s::text, p_title => %(title)s::text, p_message => %(message)s::text,
    p_channel => %(channel)s::text, p_expires_at => %(expires_at)s::timestamptz,
    p_data => %(data)s::jsonb, p_dedupe_key => %(dedupe_key)s::text)
"""
_FAN_OUT = """
SELECT notifydb.fan_out_notification(
    p_tenant_id => %(tenant_id)s::uuid, p_user_ids => %(user_ids)s::uuid[],
    p_type => %(type)s::text, p_title => %(title)s::text, p_message => %(message)s::text,
    p_channel => %(channel)s::text, p_expires_at => %(expires_at)s::timestamptz,
    p_data => %(data)s::jsonb, p_dedupe_key => %(dedupe_key)s::text)
"""
_LIST = """
SELECT id, type, title, message, channel, data, is_read, created_at, read_at, expires_at
FROM notifydb.list_notifications(
    p_tenant_id => %(tenant_id)s::uuid, p_user_id => %(user_id)s::uuid,
    p_unread_only => %(unread_only)s::boolean, p_limit => %(limit)s::integer,
    p_before_created_at => %(before_created_at)s::timestamptz, p_before_id => %(before_id)s::uuid)
"""
_BY_IDS = "SELECT notifydb.{function}(%(tenant_id)s::uuid, %(user_id)s::uuid, %(ids)s::uuid[])"
_UP_TO = "SELECT notifydb.{function}(%(tenant_id)s::uuid, %(user_id)s::uuid, COALESCE(%(up_to)s::timestamptz, now()))"
_COUNT = "SELECT notifydb.{function}(%(tenant_id)s::uuid, %(user_id)s::uuid)"


def _tenant(tenant_id: UUID) -> UUID:
    """Every notification belongs to a tenant: None is refused here, before the call. (The functions
    raise 22023 for a NULL tenant, but on Citus a per-tenant call is routed by its tenant, and Citus
    13.2 crashes the coordinator on a NULL one: docs/citus.md.)"""
    if tenant_id is None:
        raise ValueError("tenant_id must not be None")
    return tenant_id


def _jsonb(data: dict[str, Any] | None) -> Jsonb | None:
    return None if data is None else Jsonb(data)


class NotificationMethods:
    """Mixed into ``notifydb.Client`` beside ``ClientBase`` (which provides _rows, _scalar, _write)."""

    def create_notification(
        self,
        tenant_id: UUID,
        user_id: UUID | None,
        type: str,
        title: str,
        message: str,
        channel: str = "in_app",
        expires_at: datetime | None = None,
        data: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> UUID:
        """Create a notification for ``user_id`` (None: the tenant-level inbox) and return its id.

        A repeated ``dedupe_key`` for the same inbox creates nothing and returns the first row's id; bad input
        raises ``psycopg.errors.InvalidParameterValue`` (22023) naming the parameter.
        """
        params = {
            "tenant_id": _tenant(tenant_id),
            "user_id": user_id,
            "type": type,
            "title": title,
            "message": message,
            "channel": channel,
            "expires_at": expires_at,
            "data": _jsonb(data),
            "dedupe_key": dedupe_key,
        }
        return self._write(_CREATE, params, inboxes=[(tenant_id, user_id)])[0][0]

    def fan_out_notification(
        self,
        tenant_id: UUID,
        user_ids: Iterable[UUID | None],
        type: str,
        title: str,
        message: str,
        channel: str = "in_app",
        expires_at: datetime | None = None,
        data: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> int:
        """Create the same notification for every distinct entry of ``user_ids`` (None: the tenant-level inbox,
        once) in one statement; inboxes that already have ``dedupe_key`` are skipped. Returns the rows created."""
        user_ids = list(user_ids)
        params = {
            "tenant_id": _tenant(tenant_id),
            "user_ids": user_ids,
            "type": type,
            "title": title,
            "message": message,
            "channel": channel,
            "expires_at": expires_at,
            "data": _jsonb(data),
            "dedupe_key": dedupe_key,
        }
        targets = [(tenant_id, user_id) for user_id in dict.fromkeys(user_ids)]
        return self._write(_FAN_OUT, params, inboxes=targets)[0][0]

    def list_notifications(
        self,
        tenant_id: UUID,
        user_id: UUID | None,
        unread_only: bool = False,
        limit: int = 20,
        before_created_at: datetime | None = None,
        before_id: UUID | None = None,
    ) -> list[Notification]:
        """One page of the inbox, newest first, without deleted or expired rows; ``limit`` is clamped to 1..100.

        For the next page pass the last row's ``created_at`` and ``id`` as ``before_created_at`` and ``before_id``
        (``before_created_at`` alone: strictly older than that time; ``before_id`` alone raises 22023).
        """
        params = {
            "tenant_id": _tenant(tenant_id),
            "user_id": user_id,
            "unread_only": unread_only,
            "limit": limit,
            "before_created_at": before_created_at,
            "before_id": before_id,
        }
        return [Notification(*row) for row in self._rows(_LIST, params)]

    def unread_count(self, tenant_id: UUID, user_id: UUID | None) -> int:
        """How many notifications of the inbox are unread, not deleted and not expired (exact, one counter read)."""
        return self._scalar(
            _COUNT.format(function="unread_count"), {"tenant_id": _tenant(tenant_id), "user_id": user_id}
        )

    def unseen_count(self, tenant_id: UUID, user_id: UUID | None) -> int:
        """The badge: how many notifications of the inbox are neither seen nor read, not deleted, not expired."""
        return self._scalar(
            _COUNT.format(function="unseen_count"), {"tenant_id": _tenant(tenant_id), "user_id": user_id}
        )

    def mark_read(self, tenant_id: UUID, user_id: UUID | None, ids: Sequence[UUID]) -> int:
        """Mark these notifications of the inbox read (and seen); returns how many changed.

        Ids of other inboxes are ignored; already read ones keep their ``read_at``."""
        return self._by_ids("mark_read", tenant_id, user_id, ids)

    def mark_unread(self, tenant_id: UUID, user_id: UUID | None, ids: Sequence[UUID]) -> int:
        """Mark these read notifications of the inbox unread again (seen state kept); returns how many changed."""
        return self._by_ids("mark_unread", tenant_id, user_id, ids)

    def delete_notifications(self, tenant_id: UUID, user_id: UUID | None, ids: Sequence[UUID]) -> int:
        """Hide (soft-delete) these notifications of the inbox; ids of other inboxes are ignored. Returns how many."""
        return self._by_ids("delete_notifications", tenant_id, user_id, ids)

    def mark_all_read(self, tenant_id: UUID, user_id: UUID | None, up_to: datetime | None = None) -> int:
        """Mark every unread notification of the inbox created up to ``up_to`` (default: the database's now())
        read and seen, in one counter update; returns how many changed."""
        return self._up_to("mark_all_read", tenant_id, user_id, up_to)

    def mark_seen(self, tenant_id: UUID, user_id: UUID | None, up_to: datetime | None = None) -> int:
        """Mark every unseen notification of the inbox created up to ``up_to`` (default: the database's now())
        seen, not read: clears the badge (``unseen_count``). Returns how many changed."""
        return self._up_to("mark_seen", tenant_id, user_id, up_to)

    def _by_ids(self, function: str, tenant_id: UUID, user_id: UUID | None, ids: Sequence[UUID]) -> int:
        params = {"tenant_id": _tenant(tenant_id), "user_id": user_id, "ids": list(ids)}
        return self._write(_BY_IDS.format(function=function), params, inboxes=[(tenant_id, user_id)])[0][0]

    def _up_to(self, function: str, tenant_id: UUID, user_id: UUID | None, up_to: datetime | None) -> int:
        params = {"tenant_id": _tenant(tenant_id), "user_id": user_id, "up_to": up_to}
        return self._write(_UP_TO.format(function=function), params, inboxes=[(tenant_id, user_id)])[0][0]
