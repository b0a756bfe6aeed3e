"""Plans a function really runs: auto_explain logs every statement nested in it to the session."""

from __future__ import annotations

import psycopg


def explain_nested_statements(conn: psycopg.Connection) -> list[str]:
    """From now on, the plan of every statement `conn` runs, nested ones included, is appended
    (as a NOTICE's text) to the list returned; clear it before the call to look at."""
    notices: list[str] = []
    conn.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    conn.execute("LOAD 'auto_explain'")
    for name, value in [
        ("auto_explain.log_min_duration", "0"),
        ("auto_explain.log_nested_statements", "on"),
        ("auto_explain.log_level", "notice"),
        ("client_min_messages", "notice"),
    ]:
        conn.execute("SELECT pg_catalog.set_config(%s, %s, false)", (name, value))
    return notices
