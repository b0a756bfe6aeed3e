"""How the client runs SQL: on a psycopg Connection or ConnectionPool, each call committed by itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

Inbox = tuple[UUID, UUID | None]  # (tenant_id, user_id); user_id None is the tenant-wide inbox

# Called once after each committed write, with every inbox the write touched.
WriteListener = Callable[[Sequence[Inbox]], None]


class ClientBase:
    """Runs each call as one statement that commits by itself, then tells listeners of writes.

    Each call is a single statement (one SQL function call), atomic by itself, so it needs
    no transaction block: on a pool, and on a Connection in autocommit mode, a call is one
    round trip (a pool connection is switched to autocommit for the call and back). On a
    Connection that is not in autocommit mode, a call runs in a transaction of its own
    (BEGIN, the statement, COMMIT: three round trips).

    On a Connection inside a transaction the caller opened, a call runs in a savepoint of
    it, and its writes commit only when the caller commits. Write listeners (an
    UnreadCountCache) are promised writes after they commit, which psycopg cannot report;
    so with listeners such a write raises psycopg.ProgrammingError and writes nothing.
    """

    def __init__(self, conn_or_pool: psycopg.Connection | ConnectionPool) -> None:
        self._target = conn_or_pool
        self._write_listeners: list[WriteListener] = []

    def add_write_listener(self, listener: WriteListener) -> None:
        """Call ``listener`` after each committed write with the inboxes it touched (an UnreadCountCache does)."""
        self._write_listeners.append(listener)

    def in_callers_transaction(self) -> bool:
        """Whether a call now would run inside a transaction the caller opened."""
        return (
            isinstance(self._target, psycopg.Connection)
            and self._target.info.transaction_status != TransactionStatus.IDLE
        )

    def _rows(self, query: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple]:
        if isinstance(self._target, ConnectionPool):
            with self._target.connection() as conn:
                return _in_autocommit(conn, query, params)
        if self._target.autocommit and not self.in_callers_transaction():
            return _fetch(self._target, query, params)
        with self._target.transaction():
            return _fetch(self._target, query, params)

    def _scalar(self, query: str, params: Sequence[Any] | dict[str, Any]) -> Any:
        rows = self._rows(query, params)
        return rows[0][0]

    def _write(
        self,
        query: str,
        params: Sequence[Any] | dict[str, Any],
        inboxes: Sequence[Inbox],
    ) -> list[tuple]:
        """Run a write, then (after it committed) tell listeners which inboxes changed."""
        if self._write_listeners and self.in_callers_transaction():
            raise psycopg.ProgrammingError(
                "this Client has write listeners (an unread-count cache) that must hear of a write after it "
                "commits, and its connection is in a transaction the caller opened: commit first, or write "
                "through a Client without listeners and call UnreadCountCache.invalidate after the commit"
            )
        rows = self._rows(query, params)
        for listener in self._write_listeners:
            listener(inboxes)
        return rows


def _fetch(conn: psycopg.Connection, query: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple]:
    return conn.execute(query, params, prepare=True).fetchall()


def _in_autocommit(conn: psycopg.Connection, query: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple]:
    """Run on a connection of the call's own (from the pool) without BEGIN and COMMIT."""
    if conn.autocommit:
        return _fetch(conn, query, params)
    conn.autocommit = True
    try:
        return _fetch(conn, query, params)
    finally:
        # A broken connection is not idle; the pool discards it, whatever its mode.
        if conn.info.transaction_status == TransactionStatus.IDLE:
            conn.autocommit = False
