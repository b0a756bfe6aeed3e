"""LISTEN on channel ``notifydb`` and read the announcements as typed events.

The notifications functions announce every committed change with NOTIFY: a JSON
object with the operation, the tenant, the user, and either the ids (a few) or a
count (many). A server that pushes badge counts to browsers listens here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import psycopg
from psycopg import sql

log = logging.getLogger("notifydb.listener")

CHANNEL = "notifydb"


class MalformedAnnouncement(ValueError):
    """A payload on the channel that is not a notifydb announcement."""


@dataclass(frozen=True)
class Announcement:
    """One committed change: ``ids`` when the call touched a few rows, else only ``count``."""

    op: str
    tenant_id: UUID
    user_id: UUID | None
    ids: tuple[UUID, ...] | None
    count: int

    @classmethod
    def from_payload(cls, payload: str) -> Announcement:
        try:
            fields = json.loads(payload)
            op = fields["op"]
            tenant_id = UUID(fields["tenant_id"])
            user_id = UUID(fields["user_id"]) if fields.get("user_id") is not None else None
            if "ids" in fields:
                ids = tuple(UUID(value) for value in fields["ids"])
                count = len(ids)
            else:
                ids = None
                count = int(fields["count"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedAnnouncement(f"not a notifydb announcement: {payload[:200]!r}") from exc
        if not isinstance(op, str):
            raise MalformedAnnouncement(f"not a notifydb announcement: {payload[:200]!r}")
        return cls(op=op, tenant_id=tenant_id, user_id=user_id, ids=ids, count=count)


class AnnouncementListener:
    """A connection of its own that LISTENs on ``notifydb``; iterate ``announcements()``.

    Only committed work is announced (Postgres delivers NOTIFY at commit), so what
    arrives here is never rolled back. Payloads that do not parse are logged and skipped.
    """

    def __init__(self, dsn: str, channel: str = CHANNEL) -> None:
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def announcements(self, timeout: float | None = None, stop_after: int | None = None) -> Iterator[Announcement]:
        """Yield announcements as they arrive; ends after ``timeout`` seconds or ``stop_after`` of them."""
        for notify in self._conn.notifies(timeout=timeout, stop_after=stop_after):
            try:
                yield Announcement.from_payload(notify.payload)
            except MalformedAnnouncement:
                log.warning("skipping a payload on %s that is not an announcement", notify.channel)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> AnnouncementListener:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
