"""Every index on notifydb.notifications earns its keep: a function's plan uses it (plans, not timings).

Each index costs every write that touches its columns, so each one is named here with the
call whose plan reads it, on a table big enough for the planner to prefer indexes over
scans. An index nobody's plan uses is a cost without a query: the last test fails for it.
The plans are the ones the functions really run: auto_explain logs every statement nested
in them, at NOTICE level, to this session.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.plans import explain_nested_statements
from tests.support.postgres_server import migrated

ROWS = 200_000
HEAVY_ROWS = 20_000
USERS = 2_000
TENANTS = 50
# Runs per call: plpgsql plans the first five custom, then may switch to a generic plan.
RUNS = 7
HEAVY_USER = uuid.UUID("00000000-0000-4000-8000-000000000000")
HEAVY_TENANT = uuid.UUID("00000000-0000-4000-9000-000000000000")

# Deterministic columns: one row a minute over about five months (so retention by age has
# due rows), 60 % read, 5 % with an expiry (half of those past), 1 % soft-deleted long ago,
# 10 % with a dedupe key; plus one heavy inbox, mostly unread.
LOAD = f"""
INSERT INTO notifydb.notifications
    (tenant_id, user_id, type, title, message, is_read, read_at, expires_at, deleted_at, dedupe_key, created_at)
SELECT
    ('00000000-0000-4000-9000-' || lpad((g % {USERS} % {TENANTS})::text, 12, '0'))::uuid,
    ('00000000-0000-4000-8000-' || lpad((g % {USERS})::text, 12, '0'))::uuid,
    'QUOTA_WARNING', 'title ' || g, 'message ' || g,
    read, CASE WHEN read THEN now() END,
    CASE WHEN abs(hashint8extended(g, 2)) % 100 < 5
        THEN now() + (abs(hashint8extended(g, 3)) % 20 - 10) * interval '1 day' END,
    CASE WHEN abs(hashint8extended(g, 4)) % 100 = 0 THEN now() - interval '30 days' END,
    CASE WHEN abs(hashint8extended(g, 5)) % 10 = 0 THEN 'key-' || g END,
    now() - ({ROWS} - g) * interval '1 minute'
FROM generate_series(1::bigint, {ROWS}) AS g,
    LATERAL (SELECT g % {USERS} <> 0 AND abs(hashint8extended(g, 1)) % 100 < 60 AS read) AS r
"""


@pytest.fixture(scope="module")
def notifications(pg_server) -> Iterator[psycopg.Connection]:
    dsn = migrated(pg_server.create_database("notifydb_test_notifications_plans"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(LOAD)
        conn.execute(
            "INSERT INTO notifydb.notifications (tenant_id, user_id, type, title, message, expires_at, created_at) "
            "SELECT %s, %s, 'QUOTA_WARNING', 't', 'm', CASE WHEN g %% 10 = 0 THEN now() - interval '1 day' END, "
            "now() - g * interval '1 second' FROM generate_series(1, %s) AS g",
            (HEAVY_TENANT, HEAVY_USER, HEAVY_ROWS),
        )
        conn.execute("VACUUM (ANALYZE) notifydb.notifications, notifydb.inbox_counters")
        conn.notices = explain_nested_statements(conn)  # type: ignore[attr-defined]
        yield conn


def _notifications_indexes_used(conn: psycopg.Connection, query: str, params: tuple, runs: int) -> set[str]:
    """The indexes of notifydb.notifications read by the statements a call ran, over `runs` calls
    (each in a transaction rolled back, so a write measures the same rows every time)."""
    conn.notices.clear()  # type: ignore[attr-defined]
    for _ in range(runs):
        with conn.transaction(force_rollback=True):
            conn.execute(query, params).fetchall()
    plans = "\n".join(conn.notices)  # type: ignore[attr-defined]
    assert "Seq Scan on notifications" not in plans, plans
    return set(re.findall(r"Scan (?:Backward )?using (notifications_\w+) on notifications", plans)) | set(
        re.findall(r"Bitmap Index Scan on (notifications_\w+)", plans)
    )


def _typical_row(conn: psycopg.Connection, condition: str = "TRUE") -> tuple:
    """(tenant_id, user_id, id, dedupe_key) of a row of a typical user's inbox."""
    return conn.execute(
        "SELECT tenant_id, user_id, id, dedupe_key FROM notifydb.notifications "
        f"WHERE user_id IS NOT NULL AND user_id <> %s AND {condition} ORDER BY id LIMIT 1",
        (HEAVY_USER,),
    ).fetchone()


def _mark_one_read(conn: psycopg.Connection) -> tuple[str, tuple]:
    tenant_id, user_id, notification_id, _ = _typical_row(conn, "NOT is_read")
    return "SELECT notifydb.mark_read(%s, %s, ARRAY[%s]::uuid[])", (tenant_id, user_id, notification_id)


def _deep_page(_conn: psycopg.Connection) -> tuple[str, tuple]:
    return (
        "SELECT * FROM notifydb.list_notifications(%s, %s, p_before_created_at => now() - interval '1 hour')",
        (HEAVY_TENANT, HEAVY_USER),
    )


def _repeated_dedupe_key(conn: psycopg.Connection) -> tuple[str, tuple]:
    tenant_id, user_id, _, dedupe_key = _typical_row(conn, "dedupe_key IS NOT NULL")
    return (
        "SELECT notifydb.create_notification(%s, %s, 'QUOTA_WARNING', 't', 'm', p_dedupe_key => %s)",
        (tenant_id, user_id, dedupe_key),
    )


def _unread_page(_conn: psycopg.Connection) -> tuple[str, tuple]:
    return "SELECT * FROM notifydb.list_notifications(%s, %s, p_unread_only => true)", (HEAVY_TENANT, HEAVY_USER)


def _unread_count(_conn: psycopg.Connection) -> tuple[str, tuple]:
    return "SELECT notifydb.unread_count(%s, %s)", (HEAVY_TENANT, HEAVY_USER)


def _retention_dry_run(_conn: psycopg.Connection) -> tuple[str, tuple]:
    return "SELECT * FROM notifydb._retention_due_counts(now())", ()


# Each index, and the call whose plan must read it.
CALLS = {
    "notifications_pkey": _mark_one_read,
    "notifications_inbox_idx": _deep_page,
    "notifications_dedupe_key_idx": _repeated_dedupe_key,
    "notifications_unread_idx": _unread_page,
    "notifications_unread_expiry_idx": _unread_count,
    "notifications_expires_at_idx": _retention_dry_run,
    "notifications_created_at_idx": _retention_dry_run,
    "notifications_deleted_at_idx": _retention_dry_run,
}


@pytest.mark.slow
@pytest.mark.parametrize("index", sorted(CALLS))
def test_the_index_is_read_by_its_call(notifications: psycopg.Connection, index: str) -> None:
    query, params = CALLS[index](notifications)
    assert index in _notifications_indexes_used(notifications, query, params, RUNS)


@pytest.mark.slow
def test_every_index_on_notifications_has_a_call_that_reads_it(notifications: psycopg.Connection) -> None:
    indexes = {
        name
        for (name,) in notifications.execute(
            "SELECT indexrelid::regclass::text FROM pg_catalog.pg_index "
            "WHERE indrelid = 'notifydb.notifications'::regclass"
        )
    }
    assert {name.removeprefix("notifydb.") for name in indexes} == set(CALLS)
