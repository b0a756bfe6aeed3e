"""Which database to use, as psql would, and how to say so when it cannot be reached."""

from __future__ import annotations

import os

import psycopg
from psycopg.conninfo import conninfo_to_dict

DSN_VARIABLES = ("NOTIFYDB_DSN", "DATABASE_URL")


def resolve_dsn(explicit: str | None = None) -> str:
    """--dsn, else NOTIFYDB_DSN, else DATABASE_URL, else "" (libpq's PG* defaults)."""
    if explicit:
        return explicit
    for name in DSN_VARIABLES:
        value = os.environ.get(name)
        if value:
            return value
    return ""


def describe_target(dsn: str) -> str:
    """host:port/dbname as user, never the password."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:  # malformed: the caller reports libpq's reason
        return "invalid DSN"
    host = params.get("host") or os.environ.get("PGHOST") or "local socket"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    dbname = params.get("dbname") or os.environ.get("PGDATABASE") or "(default database)"
    user = params.get("user") or os.environ.get("PGUSER") or "(default user)"
    return f"{host}:{port}/{dbname} as {user}"
