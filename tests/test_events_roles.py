"""The event functions as seen by real LOGIN roles holding only notifydb_app or only notifydb_admin."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import psycopg
import pytest
from psycopg import errors

from tests.support.roles import login_role


@pytest.fixture
def login_as(migrated_dsn: str) -> Iterator:
    """login_as('notifydb_app') -> a DSN for a new LOGIN role granted only that role; dropped afterwards."""
    with ExitStack() as roles:
        yield lambda granted: roles.enter_context(login_role(migrated_dsn, granted))


def _record(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT notifydb.record_event('job_failure', 'high', 'd', '{}', %s)", (uuid.uuid4(),)
    ).fetchone()[0]


def test_app_role_records_but_cannot_read_or_resolve(login_as) -> None:
    with psycopg.connect(login_as("notifydb_app"), autocommit=True) as conn:
        event_id = _record(conn)
        assert event_id > 0
        for statement, params in [
            ("SELECT * FROM notifydb.list_events()", ()),
            ("SELECT notifydb.resolve_event(%s, %s)", (event_id, uuid.uuid4())),
            ("SELECT * FROM notifydb.event_summary()", ()),
            ("SELECT * FROM notifydb.event_daily_counts", ()),
            ("SELECT * FROM notifydb.admin_system_events", ()),
            ("UPDATE notifydb.admin_system_events SET is_resolved = true", ()),
        ]:
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement, params)


def test_admin_role_does_everything_through_the_functions(login_as) -> None:
    with psycopg.connect(login_as("notifydb_admin"), autocommit=True) as conn:
        event_id = _record(conn)
        listed = conn.execute("SELECT id FROM notifydb.list_events(NULL, 'high', true, 100)").fetchall()
        assert (event_id,) in listed
        assert len(conn.execute("SELECT * FROM notifydb.event_summary()").fetchall()) == 4
        assert conn.execute("SELECT notifydb.resolve_event(%s, %s)", (event_id, uuid.uuid4())).fetchone()[0] is True
        assert conn.execute("SELECT count(*) FROM notifydb.event_daily_counts").fetchone()[0] >= 1
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM notifydb.admin_system_events")


def test_a_role_without_notifydb_roles_can_call_nothing(login_as, migrated_dsn: str) -> None:
    with (
        psycopg.connect(login_as("pg_read_all_settings"), autocommit=True) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        _record(conn)
