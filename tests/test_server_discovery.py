"""Finding PostgreSQL for the tests: a server without pgTAP is refused up front,
with what to install, rather than failing every pgTAP file later."""

from __future__ import annotations

import pytest

from tests.support.postgres_server import PgServer, ServerUnusable, lacking, usable


def test_lacking_names_only_the_missing_extensions(pg_server: PgServer) -> None:
    assert lacking(pg_server.admin_dsn, ("pgtap", "notifydb_no_such_extension")) == ["notifydb_no_such_extension"]


def test_the_session_server_is_usable(pg_server: PgServer) -> None:
    stopped: list[bool] = []
    assert usable((pg_server, lambda: stopped.append(True)))[0] is pg_server
    assert not stopped


def test_a_server_lacking_an_extension_is_stopped_and_refused_saying_what_is_needed(pg_server: PgServer) -> None:
    candidate = PgServer(pg_server.admin_dsn, "testcontainers postgres:15")
    stopped: list[bool] = []
    with pytest.raises(ServerUnusable) as refused:
        usable((candidate, lambda: stopped.append(True)), ("pgtap", "notifydb_no_such_extension"))
    message = str(refused.value)
    assert stopped == [True]
    assert message.startswith("testcontainers postgres:15 lacks the extension(s) notifydb_no_such_extension")
    assert "NOTIFYDB_TEST_PG_IMAGE" in message and "postgresql-15-pgtap" in message
