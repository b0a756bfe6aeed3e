"""How the client runs SQL: on a psycopg Connection or ConnectionPool, one transaction per call."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

# Called after a write committed, with the (tenant_id, user_id) whose inbox it touched.
WriteListener = Callable[[UUID, UUID | None], None]


class ClientBase:
    """Runs each call in a transaction of its own and tells listeners about committed writes.

    Given a connection that is already inside a transaction the caller opened, a call
    runs in a savepoint and listeners hear of the write when the call returns, before
    the caller commits: caches then rely on their TTL for that window.
    """

    def __init__(self, conn_or_pool: psycopg.Connection | ConnectionPool) -> None:
        self._target = conn_or_pool
        self._write_listeners: list[WriteListener] = []

    def add_write_listener(self, listener: WriteListener) -> None:
        self._write_listeners.append(listener)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        if isinstance(self._target, ConnectionPool):
            with self._target.connection() as conn, conn.transaction():
                yield conn
        else:
            with self._target.transaction():
                yield self._target

    def _rows(self, query: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple]:
        with self._transaction() as conn:
            return conn.execute(query, params, prepare=True).fetchall()

    def _scalar(self, query: str, params: Sequence[Any] | dict[str, Any]) -> Any:
        rows = self._rows(query, params)
        return rows[0][0]

    def _write(
        self,
        query: str,
        params: Sequence[Any] | dict[str, Any],
        inboxes: Sequence[tuple[UUID, UUID | None]],
    ) -> list[tuple]:
        """Run a write, then tell listeners which inboxes changed (after commit)."""
        rows = self._rows(query, params)
        self._notify_listeners(inboxes)
        return rows

    def _notify_listeners(self, inboxes: Sequence[tuple[UUID, UUID | None]]) -> None:
        for tenant_id, user_id in inboxes:
            for listener in self._write_listeners:
                listener(tenant_id, user_id)
