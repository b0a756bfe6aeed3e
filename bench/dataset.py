"""The benchmark's data set: a database of its own holding notifydb and the seed, loaded alike.

The bench is the DBA here: it inserts straight into the tables as the
superuser, set-based (generate_series in a few big INSERT ... SELECT
statements), then rebuilds whatever derived state the schema keeps and runs
VACUUM ANALYZE. The same generated rows go into notifydb's tables and into
schema ``seed``, which holds the seed's two tables and five indexes verbatim.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from tqdm import tqdm

from bench.zipf import fit
from notifydb.migrations import Migrator
from notifydb.migrations.scripts import default_root

SQL_DIR = Path(__file__).resolve().parent / "sql"
FULL_USERS = 50_000
FULL_TENANTS = 200
FULL_NOTIFICATIONS = 5_000_000
FULL_EVENTS = 1_000_000
TENANT_LEVEL_SHARE = 0.01  # of all notifications, addressed to tenants (user_id NULL)
RESERVE_FRACTION = 0.2  # purge-eligible rows kept beside the live ones, per inbox
CHUNKS = 10
GROWTH_CHUNKS = 2  # after these many chunks every inbox holds a fifth of its rows: the growth point
# Reserve rows are older than this; the purge runs with p_now = now() - PURGE_SHIFT,
# so only reserve rows are due and the live data set stays as built.
PURGE_SHIFT_DAYS = 365
RESERVE_MIN_AGE_DAYS = PURGE_SHIFT_DAYS + 91

NOTIFICATION_COLUMNS = (
    "id, user_id, tenant_id, type, title, message, channel, is_read, created_at, read_at, expires_at, deleted_at"
)
EVENT_COLUMNS = (
    "id, created_at, event_type, severity, description, details, tenant_id, user_id, is_resolved, resolved_at, "
    "resolved_by"
)


class DatasetError(Exception):
    """The bench database cannot be built or reused."""


@dataclass(frozen=True)
class DatasetParams:
    scale: float
    users: int
    tenants: int
    notifications: int
    events: int
    generator: str  # digest of the SQL that generates the rows

    @classmethod
    def for_scale(cls, scale: float) -> DatasetParams:
        digest = hashlib.sha256()
        for path in sorted(SQL_DIR.glob("*.sql")):
            digest.update(path.read_bytes())
        return cls(
            scale=scale,
            users=max(10, round(FULL_USERS * scale)),
            tenants=max(2, round(FULL_TENANTS * scale)),
            notifications=max(1000, round(FULL_NOTIFICATIONS * scale)),
            events=max(1000, round(FULL_EVENTS * scale)),
            generator=digest.hexdigest()[:16],
        )

    def settings(self) -> dict[str, str]:
        """The notifydb_bench.* session settings the SQL files read."""
        tenant_rows = round(self.notifications * TENANT_LEVEL_SHARE / self.tenants)
        law = fit(self.users, self.notifications - tenant_rows * self.tenants, self.scale)
        return {
            "users": str(self.users),
            "tenants": str(self.tenants),
            "events": str(self.events),
            "zipf_c": repr(law.c),
            "zipf_q": repr(law.q),
            "zipf_base": repr(law.base),
            "tenant_rows": str(tenant_rows),
            "reserve_fraction": repr(RESERVE_FRACTION),
            "chunks": str(CHUNKS),
            "reserve_min_age": f"{RESERVE_MIN_AGE_DAYS} days",
        }


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


def apply_settings(conn: psycopg.Connection, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        conn.execute("SELECT pg_catalog.set_config(%s, %s, false)", (f"notifydb_bench.{name}", value))


def rebuild_derived_state(conn: psycopg.Connection) -> None:
    """Rows inserted straight into the tables bypass the functions and triggers that keep
    derived state (such as per-inbox unread counters) exact, so the schema may ship a hook
    that recomputes it: notifydb._rebuild_inbox_counters(). Call it when it exists."""
    row = conn.execute(
        """SELECT p.prokind FROM pg_catalog.pg_proc AS p
           JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
           WHERE n.nspname = 'notifydb' AND p.proname = '_rebuild_inbox_counters' AND p.pronargs = 0"""
    ).fetchone()
    if row is None:
        return
    conn.execute(
        "CALL notifydb._rebuild_inbox_counters()" if row[0] == "p" else "SELECT notifydb._rebuild_inbox_counters()"
    )


def vacuum_analyze(conn: psycopg.Connection) -> None:
    """The whole database: notifydb's tables, any derived ones, and the seed's."""
    conn.execute("VACUUM (ANALYZE)")


class Dataset:
    """Builds, or reuses with ``keep``, the bench database ``dbname`` on the server of ``server_dsn``."""

    def __init__(self, server_dsn: str, dbname: str, params: DatasetParams, quiet: bool = False) -> None:
        self.server_dsn = server_dsn
        self.dbname = dbname
        self.params = params
        self.quiet = quiet
        self.dsn = make_conninfo(server_dsn, dbname=dbname)
        self.growth: dict | None = None

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True, application_name="notifydb bench", **kwargs)

    def log(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr)

    def prepare(self, keep: bool, on_growth_point: Callable[[], dict]) -> str:
        """Reuse or build; returns 'reused' or 'built'. ``on_growth_point`` measures the
        partly loaded table and its result is recorded with the data set."""
        state = self._existing_state()
        if keep and state is not None:
            reason = self._why_not_reusable()
            if reason is None:
                self.log(f"bench: reusing database {self.dbname} (--keep, same parameters)")
                return "reused"
            self.log(f"bench: rebuilding {self.dbname}: {reason}")
        self._recreate(state)
        self._build(on_growth_point)
        return "built"

    # -- the database itself -------------------------------------------------------------

    def _maintenance_dsn(self) -> str:
        """The server's --dsn database, unless that is the bench database itself."""
        current = conninfo_to_dict(self.server_dsn).get("dbname")
        return make_conninfo(self.server_dsn, dbname="postgres") if current == self.dbname else self.server_dsn

    def _existing_state(self) -> str | None:
        """None when absent; 'marked' when it is the bench's; 'empty' when it holds nothing."""
        with psycopg.connect(self._maintenance_dsn(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (self.dbname,)).fetchone()
        if not exists:
            return None
        with self.connect() as conn:
            marked, user_schemas = conn.execute(
                """SELECT pg_catalog.to_regclass('bench_meta.dataset') IS NOT NULL,
                          (SELECT count(*) FROM pg_catalog.pg_namespace
                           WHERE nspname NOT IN ('public', 'information_schema')
                             AND nspname NOT LIKE 'pg\\_%%')"""
            ).fetchone()
            public_tables = conn.execute(
                "SELECT count(*) FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
            ).fetchone()[0]
        if marked:
            return "marked"
        if user_schemas == 0 and public_tables == 0:
            return "empty"
        raise DatasetError(
            f"database {self.dbname} exists and is not a notifydb bench database: refusing to touch it "
            "(choose another name with --db-name)"
        )

    def _why_not_reusable(self) -> str | None:
        with self.connect() as conn:
            row = conn.execute("SELECT params, state, growth FROM bench_meta.dataset").fetchone()
        if row is not None and row[1] == "purging":
            return "a run stopped during the purge measurement, before the reserve was staged again"
        if row is None or row[1] != "ready":
            return "the previous build did not finish"
        if row[0] != asdict(self.params):
            return "it was built with other parameters"
        status = Migrator(self.dsn, default_root(), log=lambda _line: None).status()
        if not status.up_to_date:
            return "the schema scripts changed since it was built"
        self.growth = row[2]
        return None

    def _recreate(self, state: str | None) -> None:
        with psycopg.connect(self._maintenance_dsn(), autocommit=True) as conn:
            name = sql.Identifier(self.dbname)
            if state == "marked":
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
                state = None
            if state is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        with self.connect() as conn:
            conn.execute(read_sql("meta_schema.sql"))
            conn.execute("INSERT INTO bench_meta.dataset (params) VALUES (%s)", (json.dumps(asdict(self.params)),))

    # -- loading ---------------------------------------------------------------------------

    def _build(self, on_growth_point: Callable[[], dict]) -> None:
        Migrator(self.dsn, default_root(), log=lambda _line: None).migrate()
        with self.connect() as conn:
            self._load_session(conn)
            conn.execute("CREATE SCHEMA seed")
            conn.execute("SET search_path = seed, pg_catalog")
            conn.execute(read_sql("seed_schema.sql"))
            conn.execute("RESET search_path")
            conn.execute(read_sql("recipients.sql"))
            live, reserve = conn.execute("SELECT sum(n_rows), sum(n_reserve) FROM bench_meta.recipients").fetchone()
            total = self.params.events + int(live) + int(reserve)
            with tqdm(
                total=total, unit="row", unit_scale=True, desc="bench data", file=sys.stderr, disable=self.quiet
            ) as bar:
                bar.update(self._load_events(conn))
                for chunk in range(CHUNKS):
                    bar.update(self._load_notifications(conn, chunk, live=True, reserve=True))
                    if chunk + 1 == GROWTH_CHUNKS:
                        self.finalize(conn)
                        self.growth = on_growth_point()
            self.finalize(conn)
            conn.execute(
                "UPDATE bench_meta.dataset SET state = 'ready', built_at = pg_catalog.now(), growth = %s",
                (json.dumps(self.growth),),
            )

    def _load_session(self, conn: psycopg.Connection) -> None:
        # Bulk-load settings for this session only; the data is durable once the build ends.
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SELECT pg_catalog.setseed(0.42)")  # the same data set at every build
        apply_settings(conn, self.params.settings())

    def _load_events(self, conn: psycopg.Connection) -> int:
        conn.execute(read_sql("stage_events.sql"))
        for table in ("notifydb.admin_system_events", "seed.admin_system_events"):
            conn.execute(
                f"INSERT INTO {table} ({EVENT_COLUMNS}) OVERRIDING SYSTEM VALUE "
                f"SELECT {EVENT_COLUMNS} FROM bench_meta.staged_events ORDER BY id"
            )
            conn.execute(
                f"SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute("UPDATE notifydb.admin_system_events SET last_seen_at = created_at")
        count = conn.execute("SELECT count(*) FROM bench_meta.staged_events").fetchone()[0]
        conn.execute("TRUNCATE bench_meta.staged_events")
        return count

    def _load_notifications(self, conn: psycopg.Connection, chunk: int, live: bool, reserve: bool) -> int:
        apply_settings(
            conn,
            {"chunk": str(chunk), "include_live": str(live).lower(), "include_reserve": str(reserve).lower()},
        )
        conn.execute(read_sql("stage_notifications.sql"))
        conn.execute(
            f"INSERT INTO notifydb.notifications ({NOTIFICATION_COLUMNS}, data) "
            f"SELECT {NOTIFICATION_COLUMNS}, data FROM bench_meta.staged_notifications"
        )
        conn.execute(
            f"INSERT INTO seed.notifications ({NOTIFICATION_COLUMNS}) "
            f"SELECT {NOTIFICATION_COLUMNS} FROM bench_meta.staged_notifications"
        )
        count = conn.execute("SELECT count(*) FROM bench_meta.staged_notifications").fetchone()[0]
        conn.execute("TRUNCATE bench_meta.staged_notifications")
        return count

    def finalize(self, conn: psycopg.Connection) -> None:
        """After direct inserts or deletes: derived state, statistics, visibility map, a checkpoint."""
        rebuild_derived_state(conn)
        vacuum_analyze(conn)
        conn.execute("CHECKPOINT")

    def mark(self, state: str) -> None:
        """Record the data set's state: 'purging' while the reserve may be missing, then 'ready'."""
        with self.connect() as conn:
            conn.execute("UPDATE bench_meta.dataset SET state = %s", (state,))

    def restore_reserve(self) -> int:
        """Stage the purge reserve again into both schemas (after a purge and a VACUUM,
        the rows fill the freed pages, spread through the heap as before). On a connection
        of its own, so the bulk-load settings never reach the measuring session."""
        with self.connect() as conn:
            self._load_session(conn)
            count = sum(self._load_notifications(conn, chunk, live=False, reserve=True) for chunk in range(CHUNKS))
            self.finalize(conn)
        return count
