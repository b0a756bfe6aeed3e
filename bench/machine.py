"""A description of the machine and servers the figures come from.

Server settings are read from pg_settings on a fresh connection before the
measurements (reset_val: what a session starts with, and where that came
from), so no session's SET can pass for the server's configuration. At the end
of the run the measuring session lists any setting it changed (it should
change none).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import psycopg
import redis

PG_SETTINGS = (
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "maintenance_work_mem",
    "max_connections",
    "synchronous_commit",
    "fsync",
    "wal_level",
    "max_wal_size",
    "checkpoint_timeout",
    "random_page_cost",
    "jit",
    "autovacuum",
    "max_parallel_workers_per_gather",
    "huge_pages",
    "min_wal_size",
    "checkpoint_completion_target",
    "full_page_writes",
    "wal_compression",
    "autovacuum_naptime",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_analyze_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "effective_io_concurrency",
)
IO_TABLES = ("notifydb.notifications", "seed.notifications")
MEMORY_UNITS = {"B": 1, "kB": 2**10, "8kB": 8 * 2**10, "MB": 2**20}
TIME_UNITS = {"ms": 1, "s": 1000, "min": 60_000}


def describe(dsn: str, redis_url: str | None) -> dict:
    """The machine, and the server as a fresh session on ``dsn`` sees it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        version = conn.execute("SELECT pg_catalog.version()").fetchone()[0]
        rows = conn.execute(
            "SELECT name, reset_val, boot_val, unit, source FROM pg_catalog.pg_settings WHERE name = ANY(%s) "
            "ORDER BY name",
            (list(PG_SETTINGS),),
        ).fetchall()
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "postgres": version,
        "postgres_settings": {
            name: {"value": with_unit(value, unit), "source": source, "default": with_unit(default, unit)}
            for name, value, default, unit, source in rows
        },
        "python": platform.python_version(),
        "psycopg": psycopg.__version__,
        "libpq": psycopg.pq.version(),
        "redis_py": redis.__version__,
        "redis_server": _redis_version(redis_url),
    }


def io_snapshot(conn: psycopg.Connection) -> dict:
    """Buffer hits and reads so far: the database's (pg_stat_database) and, for each
    notifications table, its heap and indexes together (pg_statio_user_tables)."""
    conn.execute("SELECT pg_catalog.pg_stat_clear_snapshot()")
    hit, read = conn.execute(
        "SELECT blks_hit, blks_read FROM pg_catalog.pg_stat_database WHERE datname = pg_catalog.current_database()"
    ).fetchone()
    snapshot = {"database": (hit, read)}
    for table in IO_TABLES:
        row = conn.execute(
            """SELECT coalesce(heap_blks_hit, 0) + coalesce(idx_blks_hit, 0),
                      coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0)
               FROM pg_catalog.pg_statio_user_tables WHERE relid = pg_catalog.to_regclass(%s)""",
            (table,),
        ).fetchone()
        snapshot[table] = tuple(row) if row else (0, 0)
    return snapshot


def io_phase(name: str, before: dict, after: dict) -> dict:
    """The buffer hit ratio of one measured phase: hits / (hits + reads) between two snapshots."""
    phase: dict = {"phase": name}
    for key in before:
        hit, read = (after[key][0] - before[key][0], after[key][1] - before[key][1])
        phase[key] = {"hit": hit, "read": read, "ratio": hit / (hit + read) if hit + read else None}
    return phase


def session_changes(conn: psycopg.Connection) -> list[dict]:
    """Every setting this session changed with SET (or set_config) from what it started with."""
    return [
        {"name": name, "value": with_unit(value, unit), "server": with_unit(server, unit)}
        for name, value, server, unit in conn.execute(
            "SELECT name, setting, reset_val, unit FROM pg_catalog.pg_settings WHERE source = 'session' ORDER BY name"
        )
    ]


def with_unit(value: str, unit: str | None) -> str:
    """A pg_settings value in its base unit, written as SHOW would (16384 x 8kB -> 128MB)."""
    if (unit not in MEMORY_UNITS and unit not in TIME_UNITS) or not value.isdigit() or int(value) == 0:
        return value
    scales = (
        (MEMORY_UNITS, (("GB", 2**30), ("MB", 2**20), ("kB", 2**10), ("B", 1)))
        if unit in MEMORY_UNITS
        else (TIME_UNITS, (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000), ("ms", 1)))
    )
    amount = int(value) * scales[0][unit]
    name, size = next((name, size) for name, size in scales[1] if amount % size == 0)
    return f"{amount // size}{name}"


def _ratio_cell(figures: dict) -> str:
    return "-" if figures["ratio"] is None else f"{100 * figures['ratio']:.2f} %"


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _redis_version(url: str | None) -> str | None:
    if not url:
        return None
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2) as client:
            return client.info("server").get("redis_version")
    except redis.RedisError:
        return None


def as_markdown(machine: dict) -> str:
    changes = machine.get("measuring_session_changes")
    lines = [
        "# The machine these figures come from",
        "",
        f"- CPU: {machine['cpu_model']}, {machine['cores']} cores",
        f"- Memory: {machine['memory_gib']} GiB",
        f"- OS: {machine['os']}",
        f"- PostgreSQL: {machine['postgres']}",
        f"- Python {machine['python']}, psycopg {machine['psycopg']} (libpq {machine['libpq']}), "
        f"redis-py {machine['redis_py']}, Redis server {machine['redis_server'] or 'not reached'}",
        "",
        "PostgreSQL settings as the server gives them to a new session (pg_settings on a fresh connection "
        "before the measurements: the value, where it was set, and the built-in default):",
        "",
        "| PostgreSQL setting | server value | source | default |",
        "|---|---|---|---|",
        *(
            f"| {name} | {setting['value']} | {setting['source']} | {setting['default']} |"
            for name, setting in machine["postgres_settings"].items()
        ),
        "",
    ]
    server = machine.get("server")
    if server:
        if server["kind"] == "own":
            computed = ", ".join(f"{name} = {value}" for name, value in server["computed"].items())
            lines += [
                f"The bench started this server itself (binaries from {server['bindir']}) with "
                f"`{server['config_file']}` and, computed from this machine's memory, {computed}.",
                "",
            ]
        else:
            lines += ["The server was given with --dsn: its own configuration, not the bench's.", ""]
    phases = machine.get("phases") or []
    if phases:
        lines += [
            "Buffer hit ratio of each measured phase (blocks found in shared_buffers over blocks asked for, "
            "from pg_stat_database and pg_statio_user_tables before and after the phase; statistics a "
            "client process had not yet sent may be missing):",
            "",
            "| phase | database | notifydb.notifications | reference schema notifications | blocks read |",
            "|---|---|---|---|---|",
            *(
                f"| {phase['phase']} | {_ratio_cell(phase['database'])} | "
                f"{_ratio_cell(phase['notifydb.notifications'])} | {_ratio_cell(phase['seed.notifications'])} | "
                f"{phase['database']['read']:,} |"
                for phase in phases
            ),
            "",
        ]
    if changes is None:
        lines += ["Settings changed by the measuring session: not checked.", ""]
    elif not changes:
        lines += ["Settings changed by the measuring session: none.", ""]
    else:
        lines += [
            "Settings the measuring session changed (its figures were taken with these):",
            "",
            "| setting | measuring session | server |",
            "|---|---|---|",
            *(f"| {change['name']} | {change['value']} | {change['server']} |" for change in changes),
            "",
        ]
    return "\n".join(lines)
