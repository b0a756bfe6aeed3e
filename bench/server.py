"""The server the benchmark starts for itself: a throwaway PostgreSQL cluster.

Without --dsn, `bench` runs initdb into a temporary folder, writes the settings
in bench/postgresql.conf plus the memory sizes computed here, starts the server
on a free loopback port (as the `postgres` system user when run as root), and
stops it and removes the folder at the end. The binaries come from PG_BINDIR,
else `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin, found
and run as tests/support/cluster.py does, with production settings instead of
the test suite's fast, non-durable ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.cluster import ClusterUnavailable, find_bindir, free_port, server_user

CONF = Path(__file__).resolve().parent / "postgresql.conf"
GIB = 2**30
MIB = 2**20
SHARED_BUFFERS_CAP = 8 * GIB
MAINTENANCE_CAP = GIB


class ServerError(Exception):
    """The bench's own server could not be started."""


def memory_bytes() -> int:
    """MemTotal from /proc/meminfo, else what sysconf reports."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _mb(amount: int) -> str:
    return f"{amount // MIB}MB"


def memory_settings(total: int | None = None, shared_buffers: str | None = None) -> dict[str, str]:
    """Sizes from the machine's memory (see bench/postgresql.conf); ``shared_buffers`` overrides
    the computed value (the smoke test keeps it small)."""
    total = total or memory_bytes()
    return {
        "shared_buffers": shared_buffers or _mb(min(total // 4, SHARED_BUFFERS_CAP)),
        "effective_cache_size": _mb(total * 3 // 4),
        "maintenance_work_mem": _mb(min(total // 32, MAINTENANCE_CAP)),
    }


class OwnServer:
    """initdb + pg_ctl in a temporary folder; ``stop()`` removes everything."""

    def __init__(self, shared_buffers: str | None = None) -> None:
        try:
            self.bindir = find_bindir()
            self.user = server_user()
        except ClusterUnavailable as exc:
            raise ServerError(str(exc)) from exc
        self.settings = memory_settings(shared_buffers=shared_buffers)
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="notifydb-bench-pg-"))
        self.datadir = self.base / "data"
        self.started = False

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True, user=self.user, check=False
        )
        if result.returncode != 0:
            log = self.log_tail()
            raise ServerError(f"{args[0]} failed: {result.stderr.strip()}\n{log}")

    def log_tail(self, chars: int = 2000) -> str:
        path = self.base / "server.log"
        return path.read_text()[-chars:] if path.exists() else ""

    def start(self) -> OwnServer:
        if self.user:
            shutil.chown(self.base, self.user, self.user)
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        shutil.copy(CONF, self.datadir / "bench.conf")
        if self.user:
            shutil.chown(self.datadir / "bench.conf", self.user, self.user)
        lines = [
            "include 'bench.conf'",
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.base}'",
            *(f"{name} = '{value}'" for name, value in self.settings.items()),
        ]
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write("\n# notifydb bench\n" + "\n".join(lines) + "\n")
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.base / "server.log"), "-w", "-t", "120", "start")
        self.started = True
        return self

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def describe(self) -> dict:
        return {
            "kind": "own",
            "bindir": str(self.bindir),
            "folder": str(self.base),
            "config_file": "bench/postgresql.conf",
            "computed": dict(self.settings),
        }

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "120", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
