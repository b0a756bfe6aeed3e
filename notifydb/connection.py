"""Which database to use, as psql would, and how to say so when it cannot be reached."""

from __future__ import annotations

import os
import re

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


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (libpq adds hint lines to connection errors)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_line(dsn: str, exc: BaseException) -> str:
    """What every command prints for a database it cannot use: `notifydb: <target>: <reason>`."""
    return f"notifydb: {describe_target(dsn)}: {first_line(exc)}"


def role_needed_line(dsn: str, user: str, what: str, role: str) -> str:
    """The line for a permission error: which notifydb role `user` lacks, and the GRANT that gives it."""
    grant = f"GRANT {role} TO {sql_identifier(user)};"
    return f"notifydb: {describe_target(dsn)}: permission denied: {what} needs the {role} role ({grant})"


def sql_identifier(name: str) -> str:
    """`name` as SQL writes it: bare when it may be, else double-quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def describe_connection(conn: psycopg.Connection) -> str:
    """host:port/dbname as user of an open connection, as libpq resolved them (never the password)."""
    info = conn.info
    return f"{info.host}:{info.port}/{info.dbname} as {info.user}"


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
