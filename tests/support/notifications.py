"""Shared checks for the notification tests."""

from __future__ import annotations

from uuid import UUID

import psycopg

# Inboxes of one tenant whose counter differs from a recount under their horizons.
COUNTER_DRIFT = "SELECT * FROM notifydb._inbox_counter_drift() WHERE tenant_id = %(tenant_id)s"


def counter_drift(dsn: str, tenant_id: UUID) -> list[tuple]:
    """Empty when every counter of the tenant equals a recount of its rows."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(COUNTER_DRIFT, {"tenant_id": tenant_id}).fetchall()
