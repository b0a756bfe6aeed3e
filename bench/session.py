"""A client session (one connection, optionally Redis) and operations bound to it for timing."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from random import Random

import psycopg
import redis

import notifydb.ratelimit
from bench.ops import Operation, Side
from bench.sample import Sample


class Session:
    """One connection in autocommit mode: every statement is its own committed transaction."""

    def __init__(self, dsn: str, redis_url: str | None) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True, application_name="notifydb bench")
        # The limiter and cache accept only fail-fast clients; 1 s is the longest they allow.
        self.redis = notifydb.ratelimit.connect(redis_url, timeout=1.0) if redis_url else None
        self.backend_pid = self.conn.info.backend_pid

    def close(self) -> None:
        self.conn.close()
        if self.redis is not None:
            self.redis.close()


@dataclass(frozen=True)
class Environment:
    """What the migrated database and this checkout offer, to decide what can be measured."""

    functions: frozenset[str]
    redis_ok: bool

    @classmethod
    def probe(cls, conn: psycopg.Connection, redis_url: str | None) -> Environment:
        functions = frozenset(
            row[0]
            for row in conn.execute(
                "SELECT p.proname FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n "
                "ON n.oid = p.pronamespace WHERE n.nspname = 'notifydb'"
            )
        )
        return cls(functions, _redis_answers(redis_url))

    def missing(self, side: Side) -> list[str]:
        """What this side needs and does not have; empty when it can be measured."""
        missing = [f"notifydb.{name}()" for name in sorted(side.functions() - self.functions)]
        for need in side.needs:
            if need == "redis" and not self.redis_ok:
                missing.append("a Redis server (--redis-url)")
            elif need.startswith("notifydb.") and not hasattr(notifydb, need.split(".", 1)[1]):
                missing.append(f"the Python name {need}")
            elif need.startswith("sql:") and need[4:] not in self.functions:
                missing.append(f"notifydb.{need[4:]}()")
        return missing


def _redis_answers(url: str | None) -> bool:
    if not url:
        return False
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


WAL_POSITION = "SELECT pg_catalog.pg_current_wal_insert_lsn()"
WAL_SINCE = "SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_insert_lsn(), %s::pg_lsn)"


class Bound:
    """One side of one operation, ready to run on a session: once() returns nanoseconds."""

    def __init__(self, op: Operation, side_name: str, session: Session, sample: Sample, wal: bool = False) -> None:
        self.side = op.sides()[side_name]
        self.draw = op.params(sample, side_name)
        self.cursor = session.conn.cursor()
        self.call = self.side.call(session) if self.side.call else None
        # WAL bytes of the last call: the insert position read just before and just after the
        # timed call (both untimed), on the same connection. The position is the server's, so
        # what other backends (autovacuum, the checkpointer) write meanwhile counts too: the
        # median over many calls is what the report judges.
        self.wal = wal and self.call is None
        self.last_wal: int | None = None

    def once(self, rng: Random) -> int:
        params = self.draw(rng)
        if self.call is not None:
            started = time.perf_counter_ns()
            self.call(params)
            elapsed = time.perf_counter_ns() - started
        else:
            # Timed: send, execute, and libpq receiving every row; not the conversion to
            # Python objects, which costs the same for any schema.
            before = self.cursor.execute(WAL_POSITION).fetchone()[0] if self.wal else None
            started = time.perf_counter_ns()
            self.cursor.execute(self.side.sql, params, prepare=True)
            elapsed = time.perf_counter_ns() - started
            if before is not None:
                self.last_wal = int(self.cursor.execute(WAL_SINCE, (before,), prepare=True).fetchone()[0])
        if self.side.restore:
            self.cursor.execute(self.side.restore, params, prepare=True)
        return elapsed


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Pinned:
    """Who shares the one core, what to restore afterwards, and why redis-server does not, if it does not."""

    cpu: int
    saved: dict[int, set[int]]
    redis_server: int | None
    redis_not_pinned: str | None

    def describe(self) -> dict:
        return {"cpu": self.cpu, "redis_server_pid": self.redis_server, "redis_not_pinned": self.redis_not_pinned}


def pin_to_one_core(session: Session) -> Pinned:
    """Put this process, its backend and a local redis-server on the last allowed core.

    Same as `taskset -pc CPU PID` for each. Raises OSError when the backend is not a
    local postgres process (a remote server cannot be pinned); a Redis that cannot be
    pinned is reported in the result, and the caller leaves the Redis operations out.
    """
    backend = session.backend_pid
    if not _runs_here(backend, "postgres"):
        raise OSError(f"backend {backend} is not a local postgres process")
    cpu = max(os.sched_getaffinity(0))
    saved: dict[int, set[int]] = {}
    _pin(backend, cpu, saved)  # the backend first: if it refuses, nothing has changed yet
    pinned = Pinned(cpu, saved, None, "no Redis in this run")
    try:
        if session.redis is not None:
            try:
                pid = local_redis_server(session.redis)
                _pin(pid, cpu, saved)
                pinned = Pinned(cpu, saved, pid, None)
            except (OSError, redis.RedisError) as exc:
                pinned = Pinned(cpu, saved, None, str(exc))
        _pin(0, cpu, saved)
    except BaseException:
        unpin(pinned)
        raise
    return pinned


def local_redis_server(client: redis.Redis) -> int:
    """The pid of the redis-server ``client`` talks to; OSError unless it runs on this machine."""
    kwargs = client.get_connection_kwargs()
    info = client.info("server")
    pid, port = int(info["process_id"]), int(info["tcp_port"])
    if "path" not in kwargs and kwargs.get("host") not in LOOPBACK:
        raise OSError(f"Redis at {kwargs.get('host')} is not on this machine")
    # A local pid from a server in a container or elsewhere would name some other process.
    if not _runs_here(pid, "redis-server", f":{port}" if port else ""):
        raise OSError(f"Redis reports pid {pid}, which is not a redis-server on port {port} here")
    return pid


def _runs_here(pid: int, command: str, in_title: str = "") -> bool:
    proc = Path(f"/proc/{pid}")
    try:
        return (proc / "comm").read_text().startswith(command) and in_title in (proc / "cmdline").read_text()
    except OSError:
        return False


def _pin(pid: int, cpu: int, saved: dict[int, set[int]]) -> None:
    saved[pid] = os.sched_getaffinity(pid)
    os.sched_setaffinity(pid, {cpu})


def unpin(pinned: Pinned) -> None:
    for pid, cpus in pinned.saved.items():
        with contextlib.suppress(ProcessLookupError):  # the backend may have exited
            os.sched_setaffinity(pid, cpus)
