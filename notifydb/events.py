"""Client methods for system events: one method per SQL function, same names, arguments without ``p_``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

# Every event recorded through the client is mirrored here, for central logging.
event_log = logging.getLogger("notifydb.events")

_EVENT_COLUMNS = (
    "id, created_at, event_type, severity, description, details, tenant_id, user_id,"
    " is_resolved, resolved_at, resolved_by, fingerprint, occurrences, last_seen_at"
)


@dataclass(frozen=True)
class SystemEvent:
    """One row of notifydb.admin_system_events."""

    id: int
    created_at: datetime
    event_type: str
    severity: str
    description: str
    details: dict[str, Any] | None
    tenant_id: UUID | None
    user_id: UUID | None
    is_resolved: bool
    resolved_at: datetime | None
    resolved_by: UUID | None
    fingerprint: str | None
    occurrences: int
    last_seen_at: datetime


@dataclass(frozen=True)
class SeveritySummary:
    """How many unresolved events have this severity."""

    severity: str
    unresolved: int


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


class EventMethods:
    """Mixed into Client; relies on ClientBase's ``_rows`` and ``_scalar``."""

    def record_event(
        self,
        event_type: str,
        severity: str,
        description: str,
        details: dict[str, Any] | None = None,
        tenant_id: UUID | None = None,
        user_id: UUID | None = None,
        fingerprint: str | None = None,
    ) -> int:
        """Record an event (or bump the unresolved one with this tenant and fingerprint); returns its id.

        Once committed, the event is also written as one INFO record on the
        ``notifydb.events`` logger, its fields in ``extra`` as JSON-ready values:
        what was recorded, and what the event now is (severity after any
        escalation, occurrences, first and last seen), from the same round trip.
        """
        rows = self._rows(
            "SELECT id, event_type, severity, occurrences, created_at, last_seen_at"
            " FROM notifydb.record_event_returning(%s, %s, %s, %s, %s, %s, %s)",
            (
                event_type,
                severity,
                description,
                None if details is None else Jsonb(details),
                tenant_id,
                user_id,
                fingerprint,
            ),
        )
        event_id, stored_type, stored_severity, occurrences, created_at, last_seen_at = rows[0]
        event_log.info(
            "system event %s %s: %s (%s)",
            event_id,
            "recorded" if occurrences == 1 else f"repeated ({occurrences} occurrences)",
            stored_type,
            stored_severity,
            extra={
                "event_id": event_id,
                "event_type": stored_type,
                "severity": stored_severity,
                "recorded_severity": severity,
                "description": description,
                "details": details,
                "tenant_id": _text(tenant_id),
                "user_id": _text(user_id),
                "fingerprint": fingerprint,
                "occurrences": occurrences,
                "created_at": created_at.isoformat(),
                "last_seen_at": last_seen_at.isoformat(),
            },
        )
        return event_id

    def resolve_event(self, event_id: int, resolved_by: UUID) -> bool:
        """Resolve an event (``notifydb_admin``): True when this call resolved it, False when it already was
        (the first resolver and time are kept); an unknown id raises ``psycopg.errors.NoDataFound`` (P0002)."""
        return self._scalar("SELECT notifydb.resolve_event(%s, %s)", (event_id, resolved_by))

    def list_events(
        self,
        tenant_id: UUID | None = None,
        min_severity: str | None = None,
        unresolved_only: bool = False,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[SystemEvent]:
        """Events newest first (``notifydb_admin``; ``tenant_id`` None: every tenant), ``min_severity`` and above;
        ``limit`` is clamped to 1..100. Pass the last id of a page as ``before_id`` for the next one."""
        rows = self._rows(
            f"SELECT {_EVENT_COLUMNS} FROM notifydb.list_events(%s, %s, %s, %s, %s)",
            (tenant_id, min_severity, unresolved_only, limit, before_id),
        )
        return [SystemEvent(*row) for row in rows]

    def event_summary(self, tenant_id: UUID | None = None) -> list[SeveritySummary]:
        """Unresolved events per severity, low to critical, zeros included (``notifydb_admin``; None: every tenant)."""
        rows = self._rows("SELECT severity, unresolved FROM notifydb.event_summary(%s)", (tenant_id,))
        return [SeveritySummary(*row) for row in rows]
