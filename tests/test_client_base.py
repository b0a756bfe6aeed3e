"""How the Client runs its calls: one round trip on a pool or an autocommit connection, each committed by itself."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg.pq import Trace
from psycopg_pool import ConnectionPool

from notifydb import Client


@contextmanager
def round_trips(conn: psycopg.Connection) -> Iterator[list[str]]:
    """The statements `conn` sends inside the block, one per round trip (libpq's protocol
    trace: each ends at a ReadyForQuery), as "BEGIN", "COMMIT" or "statement"."""
    sent: list[str] = []
    with tempfile.TemporaryFile() as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield sent
        finally:
            conn.pgconn.untrace()
        trace.seek(0)
        current = "statement"
        for line in trace.read().decode().splitlines():
            direction, _length, message, *rest = [*line.split("\t"), "", ""][:4]
            if direction == "F" and message == "Query":
                current = rest[0].strip().strip('"')
            elif direction == "B" and message == "ReadyForQuery":
                sent.append(current if current in ("BEGIN", "COMMIT") else "statement")
                current = "statement"


def inbox() -> tuple[uuid.UUID, uuid.UUID]:
    return uuid.uuid4(), uuid.uuid4()


def prepare(client: Client) -> None:
    """Make each call used below once: psycopg prepares a statement on its first run (a round trip more)."""
    tenant, user = inbox()
    client.create_notification(tenant, user, "T", "t", "m")
    client.unread_count(tenant, user)


def test_on_an_autocommit_connection_a_call_is_one_round_trip(migrated_dsn: str) -> None:
    tenant, user = inbox()
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        client = Client(conn)
        prepare(client)
        with round_trips(conn) as sent:
            assert client.unread_count(tenant, user) == 0
            client.create_notification(tenant, user, "T", "t", "m")
        assert sent == ["statement", "statement"]
        with psycopg.connect(migrated_dsn) as other:  # committed by itself
            assert other.execute("SELECT notifydb.unread_count(%s, %s)", (tenant, user)).fetchone() == (1,)


def test_on_a_pool_a_call_is_one_round_trip_and_the_connection_goes_back_as_it_was(migrated_dsn: str) -> None:
    tenant, user = inbox()
    with ConnectionPool(migrated_dsn, min_size=1, max_size=1, open=True) as pool:
        client = Client(pool)
        prepare(client)
        with pool.connection() as conn:
            assert not conn.autocommit
        with round_trips(conn) as sent:
            client.create_notification(tenant, user, "T", "t", "m")
            assert client.unread_count(tenant, user) == 1
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_title"):
                client.create_notification(tenant, user, "T", "", "m")
            assert client.unread_count(tenant, user) == 1
        assert sent == ["statement"] * 4
        with pool.connection() as same:
            assert same is conn and not same.autocommit
            assert same.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_on_a_connection_not_in_autocommit_a_call_is_a_transaction_of_its_own(migrated_dsn: str) -> None:
    tenant, user = inbox()
    with psycopg.connect(migrated_dsn) as conn:
        client = Client(conn)
        prepare(client)
        with round_trips(conn) as sent:
            client.create_notification(tenant, user, "T", "t", "m")
        assert sent == ["BEGIN", "statement", "COMMIT"]
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


@pytest.mark.parametrize("autocommit", [True, False])
def test_inside_the_callers_transaction_writes_commit_or_roll_back_with_it(migrated_dsn: str, autocommit: bool) -> None:
    """Without write listeners (see test_unread_cache.py for a Client with a cache)."""
    tenant, user = inbox()
    with psycopg.connect(migrated_dsn, autocommit=autocommit) as conn:
        client = Client(conn)
        with conn.transaction():
            client.create_notification(tenant, user, "T", "t", "m")
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                client.create_notification(tenant, user, "T", "", "m")  # only its savepoint rolls back
            assert client.unread_count(tenant, user) == 1
            raise psycopg.Rollback()
        assert client.unread_count(tenant, user) == 0
        with conn.transaction():
            client.create_notification(tenant, user, "T", "t", "m")
        assert client.unread_count(tenant, user) == 1
