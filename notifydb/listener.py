"""LISTEN on channel ``notifydb`` and read the announcements as typed events.

The notifications functions announce every committed change with NOTIFY: a JSON
object with the operation (``AnnouncementOp``), the tenant, the user, either the ids (a few)
or a count (many), and ``seq``, a number that makes each payload unique. A server
that pushes badge counts to browsers listens here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

import psycopg
from psycopg import Notify, sql

log = logging.getLogger("notifydb.listener")

CHANNEL = "notifydb"

# A call that changed at most this many rows announces their ids; more, only a count.
MAX_ANNOUNCED_IDS = 16


class AnnouncementOp(StrEnum):
    """The ``op`` of an announcement: which function changed the inbox."""

    CREATE = "create"  # create_notification; always carries the new id
    FAN_OUT = "fan_out"  # fan_out_notification; a count, user_id is None
    READ = "read"  # mark_read
    UNREAD = "unread"  # mark_unread
    READ_ALL = "read_all"  # mark_all_read; a count
    DELETE = "delete"  # delete_notifications
    SEEN = "seen"  # mark_seen; a count


class MalformedAnnouncement(ValueError):
    """A payload on the channel that is not a notifydb announcement."""


@dataclass(frozen=True)
class Announcement:
    """One committed change: ``ids`` when the call touched a few rows, else only ``count``.

    ``op`` is an ``AnnouncementOp``, or the plain string for an operation this package does not
    know yet (a newer database). ``seq`` is unique per announcement (None if absent).
    """

    op: AnnouncementOp | str
    tenant_id: UUID
    user_id: UUID | None
    ids: tuple[UUID, ...] | None
    count: int
    seq: int | None = None

    @classmethod
    def from_payload(cls, payload: str) -> Announcement:
        """Parse a NOTIFY payload; raises ``MalformedAnnouncement`` when it is not an announcement."""
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
            seq = int(fields["seq"]) if fields.get("seq") is not None else None
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedAnnouncement(f"not a notifydb announcement: {payload[:200]!r}") from exc
        if not isinstance(op, str):
            raise MalformedAnnouncement(f"not a notifydb announcement: {payload[:200]!r}")
        with contextlib.suppress(ValueError):  # an operation of a newer database stays a string
            op = AnnouncementOp(op)
        return cls(op=op, tenant_id=tenant_id, user_id=user_id, ids=ids, count=count, seq=seq)


class AnnouncementListener:
    """A connection of its own that LISTENs on ``notifydb``; iterate ``announcements()``.

    Only committed work is announced (Postgres delivers NOTIFY at commit), so what
    arrives here is never rolled back. Payloads that do not parse are logged and skipped.
    """

    def __init__(self, dsn: str, channel: str = CHANNEL) -> None:
        """Connect to ``dsn`` (any role may LISTEN) and LISTEN on ``channel``."""
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        # psycopg hands over every notification of a network packet at once; those
        # not yielded yet wait here for the next call instead of being dropped.
        self._received: deque[Notify] = deque()

    def announcements(self, timeout: float | None = None, stop_after: int | None = None) -> Iterator[Announcement]:
        """Yield announcements as they arrive; ends after ``timeout`` seconds or ``stop_after`` of them."""
        deadline = None if timeout is None else time.monotonic() + timeout
        yielded = 0
        while stop_after is None or yielded < stop_after:
            if not self._received:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                self._received.extend(self._conn.notifies(timeout=remaining, stop_after=1))
                if not self._received:
                    return
            notify = self._received.popleft()
            try:
                announcement = Announcement.from_payload(notify.payload)
            except MalformedAnnouncement:
                log.warning("skipping a payload on %s that is not an announcement", notify.channel)
                continue
            yield announcement
            yielded += 1

    def close(self) -> None:
        """Close the listening connection (LISTEN ends with it)."""
        self._conn.close()

    def __enter__(self) -> AnnouncementListener:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
