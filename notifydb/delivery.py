"""Client methods for the delivery outbox: claim, complete and retry SEND_NOTIFICATION jobs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

DeliveryStatus = Literal["sent", "failed"]


@dataclass(frozen=True)
class DeliveryJob:
    """One claimed outbox job; ``attempts`` counts this claim."""

    job_id: int
    job_type: str
    notification_id: UUID
    tenant_id: UUID
    user_id: UUID | None
    channel: str
    attempts: int

    def as_json(self) -> dict[str, Any]:
        """JSON-ready fields (UUIDs as strings)."""
        return {key: str(value) if isinstance(value, UUID) else value for key, value in asdict(self).items()}


@dataclass(frozen=True)
class DeliveryContent:
    """What a claimed job delivers: its notification's content."""

    job_id: int
    notification_id: UUID
    type: str
    title: str
    message: str
    data: dict[str, Any] | None
    created_at: datetime
    expires_at: datetime | None
    deleted_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready fields (UUIDs and times as strings)."""
        return {
            key: value.isoformat() if isinstance(value, datetime) else str(value) if isinstance(value, UUID) else value
            for key, value in asdict(self).items()
        }


class DeliveryMethods:
    """notifydb.claim_deliveries, complete_deliveries, retry_deliveries, delivery_contents.

    The connection's role needs ``notifydb_delivery``.
    """

    def claim_deliveries(self, limit: int = 100, lease: timedelta = timedelta(minutes=5)) -> list[DeliveryJob]:
        """Lease up to ``limit`` (clamped to 1..1000) due jobs, longest due first, for ``lease`` (positive, at most
        a day); each claim counts as an attempt and gives the job a new ``job_id``."""
        rows = self._rows(
            "SELECT * FROM notifydb.claim_deliveries(p_limit => %s, p_lease => %s)",
            (limit, lease),
        )
        return [DeliveryJob(*row) for row in rows]

    def complete_deliveries(self, job_ids: Iterable[int], status: DeliveryStatus = "sent") -> int:
        """Finish claimed jobs, recording ``status`` on their notifications; returns how many it finished
        (ids not under their latest claim count nothing)."""
        return self._scalar(
            "SELECT notifydb.complete_deliveries(p_job_ids => %s, p_status => %s)",
            (list(job_ids), status),
        )

    def delivery_contents(self, job_ids: Iterable[int]) -> list[DeliveryContent]:
        """What claimed jobs deliver: their notifications' content (jobs not under lease are left out)."""
        rows = self._rows("SELECT * FROM notifydb.delivery_contents(p_job_ids => %s)", (list(job_ids),))
        return [DeliveryContent(*row) for row in rows]

    def retry_deliveries(self, job_ids: Iterable[int], error: str, delay: timedelta = timedelta(minutes=1)) -> int:
        """Put claimed jobs back, claimable after ``delay`` (0..30 days), keeping ``error``; a job out of attempts
        is given up and its notification marked failed. Returns how many jobs it took back."""
        return self._scalar(
            "SELECT notifydb.retry_deliveries(p_job_ids => %s, p_error => %s, p_delay => %s)",
            (list(job_ids), error, delay),
        )
