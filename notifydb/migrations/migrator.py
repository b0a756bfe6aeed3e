"""Planning and applying migrations safely on a live database.

A run is one transaction: every pending versioned script, every removal of a
repeatable script deleted from disk and every changed repeatable script apply
together, history rows included, or none does. A non-transactional script
(the ``-- notifydb:no-transaction`` header) splits the run: what came before
it commits, it runs alone, and the rest is a new transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pglast
import psycopg
from psycopg import errors, sql

from notifydb.connection import describe_connection
from notifydb.migrations import citus, history, roles
from notifydb.migrations.history import HistoryRow
from notifydb.migrations.lock import LockNotAcquired, migration_lock
from notifydb.migrations.objects import ROUTINES, Definition, definitions, drop_statement, identities
from notifydb.migrations.scripts import CITUS_DIR, Script, discover_scripts
from notifydb.migrations.status import EXIT_CODES, StatusReport, compare


class MigrationError(Exception):
    """A migration could not be applied; ``exit_code`` is what the CLI returns."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _Blocked(Exception):
    """A statement of ``where`` hit lock_timeout (55P03): its transaction is retried."""

    def __init__(self, where: str, exc: errors.LockNotAvailable) -> None:
        super().__init__(exc.diag.message_primary)
        self.where = where


@dataclass(frozen=True)
class MigrateOptions:
    lock_wait: float = 60.0  # seconds to wait for another runner's advisory lock
    lock_timeout_ms: int = 5000  # each DDL statement gives up on a table lock after this
    lock_retries: int = 5  # retries of a transaction that hit lock_timeout (SQLSTATE 55P03)
    retry_backoff: float = 1.0  # seconds before the first retry; doubles each time


@dataclass(frozen=True)
class Step:
    """One thing migrate does: apply a script, or remove a repeatable script deleted from disk."""

    name: str
    script: Script | None  # None: the script was deleted from disk and what it defined is dropped
    applied: HistoryRow | None  # the script's last application, if any

    @property
    def transactional(self) -> bool:
        return self.script is None or self.script.transactional

    @property
    def defined(self) -> list[str]:
        """What a repeatable script defined when it was last applied."""
        return (self.applied.defines or []) if self.applied else []


def _line(text: str, index: int) -> int:
    return text[:index].count("\n") + 1


def describe_error(where: str, exc: psycopg.Error) -> str:
    """One readable paragraph: where it failed, the server's message and its context."""
    diag = exc.diag
    message = diag.message_primary or str(exc).strip()
    lines = [f"{where}: {message} (SQLSTATE {diag.sqlstate})"]
    extras = (("detail", diag.message_detail), ("hint", diag.message_hint), ("context", diag.context))
    lines += [f"  {label}: {text}" for label, text in extras if text]
    return "\n".join(lines)


def plan(scripts: list[Script], report: StatusReport, rows: list[HistoryRow]) -> list[Step]:
    """What migrate does, in order: pending versioned scripts, removals (the
    last applied first, as it may use what earlier ones defined), then changed
    repeatable scripts. The very texts ``report`` compared, so a file edited
    meanwhile is not applied unchecked. Scripts of citus/ (present on Citus
    only) all apply again after any other change: they adjust what the
    others (re)create."""
    applied = {name: row for name, row in history.latest(rows).items() if not row.removed}
    to_apply = {s.script for s in report.with_state("pending", "failed", "removed")}
    if to_apply - {s.name for s in scripts if _is_citus(s)}:
        to_apply |= {s.name for s in scripts if _is_citus(s)}
    to_apply -= {s.script for s in report.with_state("removed")}
    steps = [Step(s.name, s, applied.get(s.name)) for s in scripts if s.name in to_apply]
    removals = [Step(s.script, None, applied[s.script]) for s in reversed(report.with_state("removed"))]
    versioned = [s for s in steps if s.script and s.script.kind == "versioned"]
    repeatable = [s for s in steps if s.script and s.script.kind == "repeatable"]
    return versioned + removals + repeatable


def _is_citus(script: Script) -> bool:
    return script.name.startswith(f"{CITUS_DIR}/")


def _groups(steps: list[Step], on_citus: bool = False) -> list[list[Step]]:
    """Consecutive transactional steps share a transaction; a non-transactional one runs alone.
    On Citus each step is a transaction of its own (notifydb/migrations/citus.py says why)."""
    groups: list[list[Step]] = []
    for step in steps:
        if not on_citus and step.transactional and groups and groups[-1][-1].transactional:
            groups[-1].append(step)
        else:
            groups.append([step])
    return groups


def _recorded(script: Script) -> list[Definition]:
    """What history records of ``script``: the functions, procedures and triggers it creates."""
    try:
        found = definitions(script.sql)
    except pglast.parser.ParseError as exc:
        message, index = exc.args
        raise MigrationError(f"{script.name}:{_line(script.sql, index)}: {message}") from exc
    return [d for d in found if d.kind in (*ROUTINES, "trigger")]


def missing_grants(conn: psycopg.Connection, rows: list[HistoryRow], steps: list[Step]) -> str | None:
    """Why the connecting role cannot take ``steps``, with the statement that
    fixes it (one line, before anything changes); None when it can."""
    # Only the first run creates and grants roles; later ones need only what it granted.
    if not steps or any(row.kind == "versioned" and row.success for row in rows):
        return None
    why = roles.refusal(conn)
    return f"refusing to migrate: {why}" if why else None


def _to_drop(conn: psycopg.Connection, step: Step) -> list[str]:
    """What ``step`` drops, dependents first: all a removed script defined, or
    what a changed one defined but defines no more (by the catalog's identities
    now, so ``timestamptz`` and ``timestamp with time zone`` are the same)."""
    if step.script is None or not step.defined:
        return list(reversed(step.defined))
    still = identities(conn, _recorded(step.script))
    return [identity for identity in reversed(step.defined) if identity not in still]


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
        discover_scripts(self.root)  # a wrong folder fails before connecting
        with self._connect() as conn:
            scripts = discover_scripts(self.root, citus.present(conn))
            report = compare(scripts, history.read(conn))
            return scripts, replace(report, database=describe_connection(conn))

    def preview(self) -> tuple[StatusReport, list[tuple[Step, list[str]]], str | None]:
        """What migrate would do, changing nothing: each step with what it drops first, and
        why migrate would refuse for lack of a grant (None when it would not)."""
        discover_scripts(self.root)
        with self._connect() as conn:
            scripts = discover_scripts(self.root, citus.present(conn))
            rows = history.read(conn)
            report = compare(scripts, rows)
            steps = plan(scripts, report, rows)
            refusal = missing_grants(conn, rows, steps)
            with conn.transaction(force_rollback=True):
                return report, [(step, _to_drop(conn, step)) for step in steps], refusal

    def migrate(self) -> list[Step]:
        """Apply everything pending; returns the steps taken."""
        discover_scripts(self.root)  # a wrong folder fails before anything is touched
        with self._connect() as lock_conn, self._connect() as conn:
            try:
                with migration_lock(lock_conn, self.options.lock_wait):
                    on_citus = citus.present(conn)
                    scripts = discover_scripts(self.root, on_citus)
                    rows = history.read(conn)
                    report = compare(scripts, rows)
                    self._refuse_drift(report)
                    steps = plan(scripts, report, rows)
                    refusal = missing_grants(conn, rows, steps)
                    if refusal:
                        raise MigrationError(refusal)
                    if on_citus and steps:
                        citus.prepare(conn)
                    for group in _groups(steps, on_citus):
                        self._apply_with_retries(conn, group)
                    return steps
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

    def _apply_with_retries(self, conn: psycopg.Connection, group: list[Step]) -> None:
        """Apply ``group``; when a statement hits lock_timeout, all of it again from the start."""
        delay = self.options.retry_backoff
        for attempt in range(self.options.lock_retries + 1):
            try:
                done = self._apply_group(conn, group)
            except _Blocked as blocked:
                if attempt == self.options.lock_retries:
                    raise MigrationError(
                        f"{blocked.where}: still blocked by other sessions' locks after"
                        f" {attempt + 1} attempts (lock_timeout {self.options.lock_timeout_ms} ms): {blocked}"
                    ) from blocked
                again = f"its transaction ({len(group)} steps)" if len(group) > 1 else "it"
                self.log(f"{blocked.where}: lock_timeout, retrying {again} in {delay:g} s")
                time.sleep(delay)
                delay *= 2
                continue
            for line in done:
                self.log(line)
            return

    def _apply_group(self, conn: psycopg.Connection, group: list[Step]) -> list[str]:
        """Apply one transaction's steps, or one non-transactional script; returns what to log."""
        if not group[0].transactional:
            (step,) = group
            return [self._apply_without_transaction(conn, step.script)]
        done = []
        with conn.transaction():
            # The runner's own table, created with the first scripts: a first
            # run that fails leaves nothing behind.
            history.bootstrap(conn)
            for step in group:
                started = time.monotonic()
                try:
                    self._reset_session(conn)
                    done.append(self._apply_step(conn, step, started))
                except errors.LockNotAvailable as exc:
                    raise _Blocked(step.name, exc) from exc
                except psycopg.Error as exc:
                    where = step.name if step.script else f"{step.name} (removed)"
                    raise MigrationError(describe_error(where, exc)) from exc
        return done

    def _apply_step(self, conn: psycopg.Connection, step: Step, started: float) -> str:
        """Apply one step inside the run's transaction; returns the line to log after the commit."""
        script = step.script
        if script is None:
            dropped = _to_drop(conn, step)
            for identity in dropped:
                conn.execute(drop_statement(identity))
            history.record_removal(conn, step.applied, _ms_since(started), dropped)
            return f"removed {step.name} (dropped {', '.join(dropped) or 'nothing'})"
        if script.kind == "versioned":
            self._execute_statements(conn, script)
            self._reset_session(conn)
            history.record(conn, script, _ms_since(started), success=True)
            return _applied(script, started)
        recorded = _recorded(script)
        # Before the script runs, so that no call in it is ambiguous between
        # the old signature and the new; other sessions see both changes at
        # commit. What something still depends on (a trigger the script
        # repoints, say) is dropped once the script ran.
        dropped = _to_drop(conn, step)
        later = []
        for identity in dropped:
            try:
                with conn.transaction():  # a savepoint, to carry on after 2BP01
                    conn.execute(drop_statement(identity))
            except errors.DependentObjectsStillExist:
                later.append(identity)
        # Like pg_dump: bodies are checked when called, so file order among
        # the repeatable scripts does not matter. The tests call them all.
        conn.execute("SET LOCAL check_function_bodies = off")
        self._execute_statements(conn, script)
        self._reset_session(conn)
        for identity in later:
            conn.execute(drop_statement(identity))
        history.record(conn, script, _ms_since(started), success=True, defines=identities(conn, recorded))
        return _applied(script, started, dropped)

    def _apply_without_transaction(self, conn: psycopg.Connection, script: Script) -> str:
        with conn.transaction():
            history.bootstrap(conn)
        self._reset_session(conn)
        started = time.monotonic()
        try:
            self._execute_statements(conn, script, drop_invalid_indexes=True)
        except (MigrationError, errors.LockNotAvailable) as exc:
            self._reset_session(conn)
            with conn.transaction():
                history.record(conn, script, _ms_since(started), success=False)
            if isinstance(exc, errors.LockNotAvailable):
                raise _Blocked(script.name, exc) from exc
            raise
        self._reset_session(conn)
        with conn.transaction():
            history.record(conn, script, _ms_since(started), success=True)
        return _applied(script, started)

    def _execute_statements(self, conn: psycopg.Connection, script: Script, drop_invalid_indexes: bool = False) -> None:
        """One statement at a time, so an error names the line of the statement that failed."""
        offset = 0
        for statement in _split(script.sql):
            offset = script.sql.find(statement, offset)
            try:
                if drop_invalid_indexes:
                    self._drop_invalid_index(conn, statement)
                if script.kind == "repeatable":
                    self._create_or_recreate(conn, statement, f"{script.name}:{_line(script.sql, offset)}")
                else:
                    conn.execute(statement)
            except errors.LockNotAvailable:
                raise
            except psycopg.Error as exc:
                position = offset + int(exc.diag.statement_position or 1) - 1
                raise MigrationError(describe_error(f"{script.name}:{_line(script.sql, position)}", exc)) from exc

    def _create_or_recreate(self, conn: psycopg.Connection, statement: str, where: str) -> None:
        """CREATE OR REPLACE cannot change a routine's return type or input
        parameter names (42P13): then drop it and create it again, in the
        same transaction, so that callers never find it missing."""
        routines = [d for d in definitions(statement) if d.kind in ROUTINES]
        if not routines:
            conn.execute(statement)
            return
        try:
            with conn.transaction():  # a savepoint, to carry on after 42P13
                conn.execute(statement)
        except errors.InvalidFunctionDefinition as exc:
            (routine,) = routines
            self.log(f"{where}: {exc.diag.message_primary}; dropping {routine.target} to create it again")
            drop = sql.SQL("DROP {} IF EXISTS {}").format(sql.SQL(routine.kind.upper()), sql.SQL(routine.target))
            conn.execute(drop)
            conn.execute(statement)

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
        """Undo a script's SET [LOCAL] ROLE and settings (RESET ALL leaves the role alone)."""
        conn.execute("RESET ROLE; RESET ALL")


def _split(sql_text: str) -> list[str]:
    """The script's statements; if pglast cannot parse it, the server will say why."""
    try:
        return list(pglast.split(sql_text))
    except pglast.parser.ParseError:
        return [sql_text]


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _applied(script: Script, started: float, dropped: list[str] | None = None) -> str:
    also = f"; dropped {', '.join(dropped)}" if dropped else ""
    return f"applied {script.name} ({script.kind}, {_ms_since(started)} ms{also})"
