"""A throwaway PostgreSQL cluster from the local binaries, for tests.

pytest-postgresql does the same but runs initdb as the current user, and
initdb refuses to run as root (which CI is); here the server runs as the
`postgres` system user when we are root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

# Durability is not under test here; these make the suite several times faster.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class ClusterUnavailable(Exception):
    """No usable local PostgreSQL binaries (or no unprivileged user to run them as)."""


def find_bindir() -> Path:
    """PG_BINDIR, else `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        output = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(output.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise ClusterUnavailable("no initdb/pg_ctl found (tried PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin)")


def server_major(bindir: Path) -> int:
    """The major version of the binaries in `bindir`, from `postgres --version` ("postgres (PostgreSQL) 17.11")."""
    output = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    return int(output.stdout.split()[2].split(".")[0])


def has_pg_cron(bindir: Path) -> bool:
    """Whether the installation of `bindir` has pg_cron's library and extension files."""

    def pg_config(option: str) -> Path:
        output = subprocess.run([str(bindir / "pg_config"), option], capture_output=True, text=True, check=True)
        return Path(output.stdout.strip())

    return (pg_config("--pkglibdir") / "pg_cron.so").exists() and (
        pg_config("--sharedir") / "extension" / "pg_cron.control"
    ).exists()


def server_user() -> str | None:
    """The system user to run initdb and the server as: `postgres` when this process is root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterUnavailable("running as root and there is no 'postgres' user to run PostgreSQL as") from exc
    return "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCluster:
    """initdb + pg_ctl in a temporary folder; `stop()` removes everything."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.bindir = find_bindir()
        self.settings = {"max_connections": "200", **FAST_SETTINGS, **(settings or {})}
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="notifydb-pg-"))
        self.datadir = self.base / "data"
        self.user = server_user()

    def _run(self, *args: str) -> None:
        try:
            result = subprocess.run(
                [str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True, user=self.user, check=False
            )
        except PermissionError as exc:
            # As root the server runs as `postgres`, which cannot enter root's home, say.
            raise ClusterUnavailable(f"{self.user or 'this user'} may not run {self.bindir / args[0]}: {exc}") from exc
        if result.returncode != 0:
            log = (self.base / "server.log").read_text() if (self.base / "server.log").exists() else ""
            raise ClusterUnavailable(f"{args[0]} failed: {result.stderr.strip()}\n{log[-2000:]}")

    def start(self) -> LocalCluster:
        if self.user:
            shutil.chown(self.base, self.user, self.user)
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.base}'",
            **{key: _quote(value) for key, value in self.settings.items()},
        }
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.base / "server.log"), "-w", "-t", "60", "start")
        return self

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def restart(self) -> None:
        """Stop and start again (e.g. so pg_cron runs its @reboot jobs)."""
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.base / "server.log"), "-w", "-m", "fast", "restart")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _quote(value: str) -> str:
    """postgresql.conf wants strings quoted; numbers and on/off may stay bare."""
    if value.startswith("'") or value.replace(".", "").isdigit() or value in ("on", "off", "true", "false"):
        return value
    return "'" + value.replace("'", "''") + "'"
