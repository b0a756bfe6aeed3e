"""record_event across transactions, as applications call it: a repeat in a later
transaction bumps the open event in place (a HOT update), and bad input writes nothing."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

RECORD = "SELECT notifydb.record_event('quota_reached', %s, %s, %s, %s, NULL, %s)"


@pytest.fixture
def db(migrated_dsn: str):
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        yield conn


def event(conn: psycopg.Connection, event_id: int) -> tuple:
    return conn.execute(
        "SELECT created_at, last_seen_at, occurrences, details, description, severity"
        " FROM notifydb.admin_system_events WHERE id = %s",
        (event_id,),
    ).fetchone()


def test_a_repeat_in_a_later_transaction_bumps_last_seen_at(db):
    tenant = uuid.uuid4()
    first = db.execute(RECORD, ("low", "quota at 95%", Jsonb({"used": 95}), tenant, "quota")).fetchone()[0]
    # Autocommit: the repeat is a transaction of its own, so now() has moved on.
    again = db.execute(RECORD, ("low", "quota at 97%", Jsonb({"used": 97}), tenant, "quota")).fetchone()[0]

    assert again == first
    created_at, last_seen_at, occurrences, details, description, _ = event(db, first)
    assert last_seen_at > created_at
    assert occurrences == 2
    assert details == {"used": 97} and description == "quota at 97%"


def test_a_repeat_is_a_hot_update(db):
    """No index holds a column a repeat changes (see schema/V0004__admin_system_events.sql):
    the bump writes no index entries."""
    tenant = uuid.uuid4()
    first = db.execute(RECORD, ("low", "disk 80% full", Jsonb({"pct": 80}), tenant, "disk")).fetchone()[0]

    with db.transaction():
        again = db.execute(RECORD, ("low", "disk 85% full", Jsonb({"pct": 85}), tenant, "disk")).fetchone()[0]
        # This transaction's own counts, before they are flushed to pg_stat_user_tables.
        updates, hot_updates = db.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_catalog.pg_stat_xact_user_tables"
            " WHERE relid = 'notifydb.admin_system_events'::regclass"
        ).fetchone()

    assert again == first
    assert (updates, hot_updates) == (1, 1), "the repeat updated the row in place, touching no index"


def test_a_severity_escalation_still_records(db):
    """Escalating changes severity, which is indexed: not HOT, and that is fine (rare)."""
    tenant = uuid.uuid4()
    first = db.execute(RECORD, ("low", "errors", None, tenant, "errors")).fetchone()[0]
    assert db.execute(RECORD, ("critical", "errors", None, tenant, "errors")).fetchone()[0] == first
    assert event(db, first)[2:] == (2, None, "errors", "critical")


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ("NULL, 'low', 'd'", "p_event_type"),
        ("repeat('t', 101), 'low', 'd'", "p_event_type"),
        ("'t', 'urgent', 'd'", "p_severity"),
        ("'t', 'low', ''", "p_description"),
        ("'t', 'low', 'd', '[1]'", "p_details"),
        ("'t', 'low', 'd', jsonb_build_object('k', repeat('x', 8190))", "p_details"),
        ("'t', 'low', 'd', p_fingerprint => ''", "p_fingerprint"),
    ],
)
def test_bad_input_writes_nothing(db, arguments, parameter):
    """Committed state before and after a refused call, each read in a transaction of its own."""

    def counts() -> tuple[int, int]:
        return db.execute("SELECT count(*), coalesce(sum(occurrences), 0) FROM notifydb.admin_system_events").fetchone()

    before = counts()
    for function in ("record_event", "record_event_returning"):
        with pytest.raises(psycopg.errors.InvalidParameterValue) as error:
            db.execute(f"SELECT * FROM notifydb.{function}({arguments})")
        assert error.value.diag.message_primary.startswith(parameter)
    assert counts() == before
