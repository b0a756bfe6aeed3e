"""Shared checks for the notification tests."""

from __future__ import annotations

from uuid import UUID

import psycopg

# Inboxes of one tenant whose counter differs from a recount, both ways.
COUNTER_DRIFT = """
WITH recount AS (
    SELECT user_id,
           count(*) FILTER (WHERE NOT is_read AND deleted_at IS NULL) AS unread,
           count(*) FILTER (WHERE NOT is_read AND seen_at IS NULL AND deleted_at IS NULL) AS unseen
    FROM notifydb.notifications WHERE tenant_id = %(tenant_id)s GROUP BY user_id
),
kept AS (
    SELECT user_id, unread, unseen FROM notifydb.inbox_counters WHERE tenant_id = %(tenant_id)s
)
(SELECT 'counter', * FROM kept WHERE unread <> 0 OR unseen <> 0 EXCEPT SELECT 'counter', * FROM recount)
UNION ALL
(SELECT 'recount', * FROM recount WHERE unread <> 0 OR unseen <> 0 EXCEPT SELECT 'recount', * FROM kept)
"""


def counter_drift(dsn: str, tenant_id: UUID) -> list[tuple]:
    """Empty when every counter of the tenant equals a recount of its rows."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(COUNTER_DRIFT, {"tenant_id": tenant_id}).fetchall()


def tenant_rows(dsn: str, tenant_id: UUID) -> list[tuple]:
    """Every stored row of a tenant, in a stable order, to compare before and after."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT * FROM notifydb.notifications WHERE tenant_id = %s ORDER BY id", (tenant_id,)
        ).fetchall()
