"""Who and what the operations touch: inboxes, tenants and open events drawn from the data set."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

import psycopg

TYPICAL_INBOXES = 64
HEAVY_INBOXES = 8
TYPICAL_DEPTH = 40  # the deep keyset page starts after this many rows
HEAVY_DEPTH = 1000
MARK_READ_CANDIDATES = 200
OPEN_EVENTS = 20_000
WRITER_USERS = 1000
# Writes that add rows go to a tenant of their own, so the inboxes that reads and
# mark-all-read use stay exactly as built.
WRITER_TENANT = uuid.UUID("00000000-0000-4000-8000-00000000be1c")

VISIBLE = "deleted_at IS NULL AND (expires_at IS NULL OR expires_at > pg_catalog.now())"


@dataclass(frozen=True)
class Inbox:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    rows: int
    unread_ids: list[uuid.UUID]  # every unread row, hidden ones included: what mark-all-read may touch
    visible_unread_ids: list[uuid.UUID]  # candidates for mark_read
    deep_cursor: tuple[datetime, uuid.UUID] | None


@dataclass
class Sample:
    typical: list[Inbox]
    heavy: list[Inbox]
    tenants: list[uuid.UUID]
    open_event_ids: list[int]
    writer_users: list[uuid.UUID]
    worker: int = 0
    events_taken: dict[str, int] = field(default_factory=dict)

    def take_event(self, side: str) -> int:
        """The next open event for this side; each side resolves the same ids in its own table."""
        position = self.events_taken.get(side, 0)
        if position >= len(self.open_event_ids):
            raise LookupError("no open events left to resolve: raise the sample size or lower iterations")
        self.events_taken[side] = position + 1
        return self.open_event_ids[position]

    def part(self, worker: int, workers: int) -> Sample:
        """This worker's share: disjoint inboxes and events, so concurrent writers never collide."""
        remaining = self.open_event_ids[max(self.events_taken.values(), default=0) :]

        def share(items: list) -> list:
            return items[worker::workers] or items[worker % len(items) :: len(items)]

        return replace(
            self,
            typical=share(self.typical),
            heavy=share(self.heavy),
            open_event_ids=remaining[worker::workers],
            writer_users=share(self.writer_users),
            worker=worker,
            events_taken={},
        )


def draw(conn: psycopg.Connection) -> Sample:
    """Typical inboxes near the median size, the heaviest ones, tenants and open events."""
    conn.execute("SELECT pg_catalog.setseed(0.7)")
    typical_keys = conn.execute(
        """WITH sized AS (
               SELECT tenant_id, user_id, n_rows,
                      pg_catalog.row_number() OVER (ORDER BY n_rows, recipient_no)::float8
                      / pg_catalog.count(*) OVER () AS position
               FROM bench_meta.recipients WHERE user_id IS NOT NULL)
           SELECT tenant_id, user_id, n_rows FROM sized WHERE position BETWEEN 0.4 AND 0.6
           ORDER BY pg_catalog.random() LIMIT %s""",
        (TYPICAL_INBOXES,),
    ).fetchall()
    heavy_keys = conn.execute(
        """SELECT tenant_id, user_id, n_rows FROM bench_meta.recipients WHERE user_id IS NOT NULL
           ORDER BY n_rows DESC, recipient_no LIMIT %s""",
        (HEAVY_INBOXES,),
    ).fetchall()
    tenants = [row[0] for row in conn.execute("SELECT DISTINCT tenant_id FROM bench_meta.recipients ORDER BY 1")]
    open_events = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM notifydb.admin_system_events WHERE NOT is_resolved ORDER BY pg_catalog.random() LIMIT %s",
            (OPEN_EVENTS,),
        )
    ]
    writers = [uuid.UUID(int=(WRITER_TENANT.int + n + 1)) for n in range(WRITER_USERS)]
    return Sample(
        typical=[_inbox(conn, key, TYPICAL_DEPTH) for key in typical_keys],
        heavy=[_inbox(conn, key, HEAVY_DEPTH) for key in heavy_keys],
        tenants=tenants,
        open_event_ids=open_events,
        writer_users=writers,
    )


def _inbox(conn: psycopg.Connection, key: tuple, depth: int) -> Inbox:
    tenant_id, user_id, rows = key
    scope = "FROM notifydb.notifications WHERE tenant_id = %s AND user_id = %s"
    unread = [r[0] for r in conn.execute(f"SELECT id {scope} AND NOT is_read", (tenant_id, user_id))]
    visible_unread = [
        r[0]
        for r in conn.execute(
            f"SELECT id {scope} AND NOT is_read AND {VISIBLE} ORDER BY created_at DESC LIMIT %s",
            (tenant_id, user_id, MARK_READ_CANDIDATES),
        )
    ]
    visible = conn.execute(f"SELECT count(*) {scope} AND {VISIBLE}", (tenant_id, user_id)).fetchone()[0]
    cursor = conn.execute(
        f"SELECT created_at, id {scope} AND {VISIBLE} ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
        (tenant_id, user_id, min(depth, visible // 2)),
    ).fetchone()
    return Inbox(tenant_id, user_id, rows, unread, visible_unread, tuple(cursor) if cursor else None)
