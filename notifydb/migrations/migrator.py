"""Planning and applying migrations safely on a live database."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pglast
import psycopg
from psycopg import errors, sql

from notifydb.migrations import history
from notifydb.migrations.lock import LockNotAcquired, migration_lock
from notifydb.migrations.scripts import Script, discover_scripts
from notifydb.migrations.status import EXIT_CODES, StatusReport, compare


class MigrationError(Exception):
    """A migration could not be applied; ``exit_code`` is what the CLI returns."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class MigrateOptions:
    lock_wait: float = 60.0  # seconds to wait for another runner's advisory lock
    lock_timeout_ms: int = 5000  # each DDL statement gives up on a table lock after this
    lock_retries: int = 5  # retries of a script that hit lock_timeout (SQLSTATE 55P03)
    retry_backoff: float = 1.0  # seconds before the first retry; doubles each time


def describe_error(script: Script, exc: psycopg.Error, offset: int = 0) -> str:
    """One readable paragraph: the file and line, the server's message and its context."""
    diag = exc.diag
    position = offset + int(diag.statement_position or 1) - 1
    where = f"{script.name}:{script.sql[:position].count(chr(10)) + 1}"
    message = diag.message_primary or str(exc).strip()
    lines = [f"{where}: {message} (SQLSTATE {diag.sqlstate})"]
    extras = (("detail", diag.message_detail), ("hint", diag.message_hint), ("context", diag.context))
    lines += [f"  {label}: {text}" for label, text in extras if text]
    return "\n".join(lines)


def plan(scripts: list[Script], report: StatusReport) -> list[Script]:
    """What migrate applies, in order (versioned, then repeatable): the very
    texts ``report`` compared, so a file edited meanwhile is not applied unchecked."""
    to_apply = {s.script for s in report.with_state("pending", "failed")}
    return [s for s in scripts if s.name in to_apply]


class Migrator:
    """Applies the scripts under ``root`` to the database at ``dsn``."""

    def __init__(
        self,
        dsn: str,
        root: Path,
        options: MigrateOptions | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.dsn = dsn
        self.root = root
        self.options = options or MigrateOptions()
        self.log = log

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(
            self.dsn,
            autocommit=True,
            application_name="notifydb migrate",
            options=f"-c lock_timeout={self.options.lock_timeout_ms}",
        )

    def status(self) -> StatusReport:
        return self.inspect()[1]

    def inspect(self) -> tuple[list[Script], StatusReport]:
        """The scripts on disk, read once, and how they compare with the history."""
        scripts = discover_scripts(self.root)
        with self._connect() as conn:
            return scripts, compare(scripts, history.read(conn))

    def migrate(self) -> list[Script]:
        """Apply everything pending; returns the scripts applied."""
        with self._connect() as lock_conn, self._connect() as conn:
            try:
                with migration_lock(lock_conn, self.options.lock_wait):
                    history.bootstrap(conn)
                    scripts = discover_scripts(self.root)
                    report = compare(scripts, history.read(conn))
                    self._refuse_drift(report)
                    to_apply = plan(scripts, report)
                    for script in to_apply:
                        self._apply_with_retries(conn, script)
                    return to_apply
            except LockNotAcquired as exc:
                raise MigrationError(str(exc)) from exc

    @staticmethod
    def _refuse_drift(report: StatusReport) -> None:
        drift = report.with_state("modified", "missing")
        if drift:
            names = ", ".join(f"{s.script} ({s.state})" for s in drift)
            raise MigrationError(
                f"refusing to migrate: applied versioned scripts changed since they were applied: {names}."
                " Restore them and put the change in a new versioned script.",
                exit_code=EXIT_CODES["modified"],
            )

    def _apply_with_retries(self, conn: psycopg.Connection, script: Script) -> None:
        delay = self.options.retry_backoff
        for attempt in range(self.options.lock_retries + 1):
            try:
                self._apply(conn, script)
                return
            except errors.LockNotAvailable as exc:
                if attempt == self.options.lock_retries:
                    raise MigrationError(
                        f"{script.name}: still blocked by other sessions' locks after"
                        f" {attempt + 1} attempts (lock_timeout {self.options.lock_timeout_ms} ms):"
                        f" {exc.diag.message_primary}"
                    ) from exc
                self.log(f"{script.name}: lock_timeout, retrying in {delay:g} s")
                time.sleep(delay)
                delay *= 2

    def _apply(self, conn: psycopg.Connection, script: Script) -> None:
        started = time.monotonic()
        if script.transactional:
            self._apply_in_transaction(conn, script, started)
        else:
            self._apply_without_transaction(conn, script, started)
        elapsed = time.monotonic() - started
        self.log(f"applied {script.name} ({script.kind}, {elapsed * 1000:.0f} ms)")

    def _apply_in_transaction(self, conn: psycopg.Connection, script: Script, started: float) -> None:
        with conn.transaction():
            if script.kind == "repeatable":
                # Like pg_dump: bodies are checked when called, so file order
                # among functions/ does not matter. The tests call them all.
                conn.execute("SET LOCAL check_function_bodies = off")
            self._execute_statements(conn, script)
            history.record(conn, script, _ms_since(started), success=True)

    def _apply_without_transaction(self, conn: psycopg.Connection, script: Script, started: float) -> None:
        try:
            self._execute_statements(conn, script, drop_invalid_indexes=True)
        except (MigrationError, errors.LockNotAvailable):
            self._reset_session(conn)
            with conn.transaction():
                history.record(conn, script, _ms_since(started), success=False)
            raise
        self._reset_session(conn)
        with conn.transaction():
            history.record(conn, script, _ms_since(started), success=True)

    def _execute_statements(self, conn: psycopg.Connection, script: Script, drop_invalid_indexes: bool = False) -> None:
        """One statement at a time, so an error names the line of the statement that failed."""
        offset = 0
        for statement in _split(script.sql):
            offset = script.sql.find(statement, offset)
            try:
                if drop_invalid_indexes:
                    self._drop_invalid_index(conn, statement)
                conn.execute(statement)
            except errors.LockNotAvailable:
                raise
            except psycopg.Error as exc:
                raise MigrationError(describe_error(script, exc, offset)) from exc

    def _drop_invalid_index(self, conn: psycopg.Connection, statement: str) -> None:
        """A failed CREATE INDEX CONCURRENTLY leaves an invalid index that
        IF NOT EXISTS would silently keep: drop it so it is built again."""
        try:
            parsed = pglast.parse_sql(statement)[0].stmt
        except pglast.parser.ParseError:
            return
        if type(parsed).__name__ != "IndexStmt" or not parsed.concurrent or not parsed.idxname:
            return
        schema = parsed.relation.schemaname or "notifydb"
        row = conn.execute(
            "SELECT NOT i.indisvalid FROM pg_catalog.pg_index AS i"
            " JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid"
            " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = %s",
            (schema, parsed.idxname),
        ).fetchone()
        if row and row[0]:
            self.log(f"rebuilding invalid index {schema}.{parsed.idxname} left by an earlier failed run")
            conn.execute(
                sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(parsed.idxname)
                )
            )

    @staticmethod
    def _reset_session(conn: psycopg.Connection) -> None:
        """Undo a non-transactional script's SET ROLE and settings."""
        conn.execute("RESET ROLE")
        conn.execute("RESET ALL")


def _split(sql_text: str) -> list[str]:
    """The script's statements; if pglast cannot parse it, the server will say why."""
    try:
        return list(pglast.split(sql_text))
    except pglast.parser.ParseError:
        return [sql_text]


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
