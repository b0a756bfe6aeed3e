"""A description of the machine and servers the figures come from."""

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
)


def describe(conn: psycopg.Connection, redis_url: str | None) -> dict:
    settings = dict(
        conn.execute(
            "SELECT name, pg_catalog.current_setting(name) FROM pg_catalog.pg_settings WHERE name = ANY(%s) "
            "ORDER BY name",
            (list(PG_SETTINGS),),
        ).fetchall()
    )
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "postgres": conn.execute("SELECT pg_catalog.version()").fetchone()[0],
        "postgres_settings": settings,
        "python": platform.python_version(),
        "psycopg": psycopg.__version__,
        "libpq": psycopg.pq.version(),
        "redis_py": redis.__version__,
        "redis_server": _redis_version(redis_url),
    }


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
        "| PostgreSQL setting | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in machine["postgres_settings"].items()),
        "",
    ]
    return "\n".join(lines)
