"""list_events and event_summary are served by indexes on a 1-million-row table (plans, not timings).

The plans are the ones the functions really run: auto_explain logs every statement
nested in them, at NOTICE level, to this session.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.plans import explain_nested_statements
from tests.support.postgres_server import migrated

ROWS = 1_000_000
SEVERITIES = [None, "low", "medium", "high", "critical"]
# Runs per combination: plpgsql plans the first five custom, then may switch to a generic plan.
RUNS = 7

# Deterministic pseudo-random columns, independent of each other: 2,000 tenants and 2 % platform
# events; severities skewed (1 % critical) so that filtering rows instead of probing an index
# would show; 3 % unresolved.
LOAD = f"""
INSERT INTO notifydb.admin_system_events
    (event_type, severity, description, tenant_id, is_resolved, resolved_at, created_at, last_seen_at)
SELECT
    'type_' || abs(hashint8extended(g, 3)) % 20,
    CASE
        WHEN abs(hashint8extended(g, 1)) % 100 < 1 THEN 'critical'
        WHEN abs(hashint8extended(g, 1)) % 100 < 10 THEN 'high'
        WHEN abs(hashint8extended(g, 1)) % 100 < 40 THEN 'medium'
        ELSE 'low'
    END,
    'event ' || g,
    CASE WHEN abs(hashint8extended(g, 0)) % 50 > 0
        THEN ('00000000-0000-4000-8000-' || lpad((abs(hashint8extended(g, 0)) % 2000)::text, 12, '0'))::uuid
    END,
    abs(hashint8extended(g, 2)) % 100 >= 3,
    CASE WHEN abs(hashint8extended(g, 2)) % 100 >= 3 THEN now() END,
    now() - ({ROWS} - g) * interval '10 seconds',
    now() - ({ROWS} - g) * interval '10 seconds'
FROM generate_series(1::bigint, {ROWS}) AS g
"""


@pytest.fixture(scope="module")
def million_events(pg_server) -> Iterator[psycopg.Connection]:
    dsn = migrated(pg_server.create_database("notifydb_test_events_plans"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(LOAD)
        conn.execute("VACUUM (ANALYZE) notifydb.admin_system_events")
        conn.notices = explain_nested_statements(conn)  # type: ignore[attr-defined]
        yield conn


def _nested_plans(conn: psycopg.Connection, query: str, params: tuple) -> list[str]:
    """The plans of the statements the function ran (not of the outer SELECT)."""
    conn.notices.clear()  # type: ignore[attr-defined]
    conn.execute(query, params).fetchall()
    starts = ("Query Text: SELECT e.*", "Query Text: SELECT newest.*", "Query Text: SELECT s.severity")
    return [n for n in conn.notices if any(start in n for start in starts)]  # type: ignore[attr-defined]


def _indexes_used(plan: str) -> set[str]:
    return set(re.findall(r"Scan (?:Backward )?(?:using|on) (\w+)", plan)) - {"unnest", "admin_system_events"}


def test_the_table_holds_a_million_events(million_events: psycopg.Connection) -> None:
    assert million_events.execute("SELECT count(*) FROM notifydb.admin_system_events").fetchone()[0] == ROWS


@pytest.mark.slow
@pytest.mark.parametrize("unresolved_only", [False, True], ids=["all", "unresolved"])
@pytest.mark.parametrize("min_severity", SEVERITIES, ids=lambda s: f"min-{s}")
@pytest.mark.parametrize("one_tenant", [True, False], ids=["tenant", "all-tenants"])
def test_every_list_filter_combination_uses_its_index(
    million_events: psycopg.Connection, one_tenant: bool, min_severity: str | None, unresolved_only: bool
) -> None:
    conn = million_events
    tenant_id = conn.execute(
        "SELECT tenant_id FROM notifydb.admin_system_events WHERE tenant_id IS NOT NULL AND NOT is_resolved"
        " GROUP BY tenant_id ORDER BY count(*) DESC, tenant_id LIMIT 1"
    ).fetchone()[0]
    args = (tenant_id if one_tenant else None, min_severity, unresolved_only)
    middle = ROWS // 2
    plans = [
        plan
        for before_id in itertools.chain([None] * RUNS, [middle])
        for plan in _nested_plans(conn, "SELECT * FROM notifydb.list_events(%s, %s, %s, 50, %s)", (*args, before_id))
    ]

    assert len(plans) == RUNS + 1
    if min_severity in (None, "low") and (one_tenant or not unresolved_only):
        # Any severity: one id-ordered range of the designed index holds the page, rows included.
        expected = {
            (True, False): {"admin_system_events_tenant_id_idx"},
            (True, True): {"admin_system_events_open_tenant_id_idx"},
            (False, False): {"admin_system_events_pkey"},
        }[(one_tenant, unresolved_only)]
    else:
        # One range of the designed index per severity, then (rows sparse in the table) the page's rows by
        # primary key; all events of all tenants are dense, read in the ranges themselves.
        expected = {
            (True, False): {"admin_system_events_tenant_severity_idx", "admin_system_events_pkey"},
            (True, True): {"admin_system_events_open_tenant_severity_idx", "admin_system_events_pkey"},
            (False, False): {"admin_system_events_severity_idx"},
            (False, True): {"admin_system_events_open_severity_idx", "admin_system_events_pkey"},
        }[(one_tenant, unresolved_only)]
    for plan in plans:
        assert "Seq Scan" not in plan, plan
        assert _indexes_used(plan) == expected, plan


@pytest.mark.slow
@pytest.mark.parametrize("one_tenant", [True, False], ids=["tenant", "all-tenants"])
def test_event_summary_reads_only_the_unresolved_indexes(million_events: psycopg.Connection, one_tenant: bool) -> None:
    conn = million_events
    tenant_id = "00000000-0000-4000-8000-000000000007" if one_tenant else None
    plans = [
        plan
        for _ in range(RUNS)
        for plan in _nested_plans(conn, "SELECT * FROM notifydb.event_summary(%s)", (tenant_id,))
    ]

    assert len(plans) == RUNS
    expected = "admin_system_events_open_tenant_severity_idx" if one_tenant else "admin_system_events_open_severity_idx"
    for plan in plans:
        assert "Seq Scan" not in plan, plan
        assert _indexes_used(plan) == {expected}, plan
