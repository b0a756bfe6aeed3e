"""Redis servers for the tests, found in the order the README gives.

NOTIFYDB_TEST_REDIS_URL (an existing server whose database the tests may flush) → a local
`redis-server` on a free loopback port in a temp dir, without persistence → a
testcontainers Redis when a Docker engine answers → a clear failure, never a skip.
A Redis Cluster comes from NOTIFYDB_TEST_REDIS_CLUSTER_URL (any node of a cluster the
tests may flush) or three local `redis-server --cluster-enabled yes` joined by
`redis-cli --cluster create`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis

START_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalRedis:
    """A throwaway `redis-server` process on a loopback port, in its own temp dir.

    Extra arguments come last, so they override the defaults (e.g. `--appendonly yes`).
    """

    def __init__(self, directory: Path, *extra_args: str) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._command = [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            *extra_args,
        ]  # fmt: skip
        self.log = directory / f"redis-{self.port}.log"
        self.start()

    def start(self) -> None:
        """Start the server (again, after kill(): same port, same directory, so the same
        append-only file and cluster config), and wait until it answers PING."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def kill(self) -> None:
        """SIGKILL: gone at once, without a chance to write anything more."""
        self.process.kill()
        self.process.wait()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        client = redis.Redis(port=self.port, socket_timeout=1)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                client.ping()
                client.close()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def pause(self) -> None:
        """SIGSTOP: the kernel still accepts connections, nothing ever answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def local_redis(*extra_args: str) -> Iterator[LocalRedis]:
    with tempfile.TemporaryDirectory(prefix="notifydb-redis-") as directory:
        server = LocalRedis(Path(directory), *extra_args)
        try:
            yield server
        finally:
            server.stop()


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextmanager
def redis_server_url() -> Iterator[str]:
    """The URL of a Redis for the test session; raises RuntimeError saying what was tried."""
    url = os.environ.get("NOTIFYDB_TEST_REDIS_URL")
    if url:
        yield url
    elif shutil.which("redis-server"):
        with local_redis() as server:
            yield server.url
    elif docker_answers():
        from testcontainers.redis import RedisContainer

        with RedisContainer("redis:7") as container:
            yield f"redis://{container.get_container_host_ip()}:{container.get_exposed_port(6379)}/0"
    else:
        raise RuntimeError(
            "no Redis for the tests: NOTIFYDB_TEST_REDIS_URL is not set, no redis-server binary "
            "is on PATH, and no Docker engine answers for testcontainers"
        )


@contextmanager
def redis_cluster_url(masters: int = 3) -> Iterator[str]:
    """A URL of one node of a Redis Cluster with `masters` primaries and no replicas."""
    url = os.environ.get("NOTIFYDB_TEST_REDIS_CLUSTER_URL")
    if url:
        yield url
        return
    with local_redis_cluster(masters) as nodes:
        yield nodes[0].url


@contextmanager
def local_redis_cluster(masters: int = 3, node_timeout_ms: int = 5000, *extra_args: str) -> Iterator[list[LocalRedis]]:
    """`masters` local `redis-server --cluster-enabled yes`, joined, no replicas."""
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        raise RuntimeError(
            "no Redis Cluster for the tests: NOTIFYDB_TEST_REDIS_CLUSTER_URL is not set and "
            "redis-server/redis-cli are not on PATH"
        )
    with ExitStack() as stack:
        nodes = [
            # An explicit bus port: the default (port + 10000) may be taken or above 65535.
            stack.enter_context(
                local_redis(
                    "--cluster-enabled", "yes",
                    "--cluster-port", str(free_port()),
                    "--cluster-node-timeout", str(node_timeout_ms),
                    *extra_args,
                )
            )
            for _ in range(masters)
        ]  # fmt: skip
        _create_cluster(nodes)
        yield nodes


def _create_cluster(nodes: list[LocalRedis]) -> None:
    addresses = [f"127.0.0.1:{node.port}" for node in nodes]
    subprocess.run(
        ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    deadline = time.monotonic() + START_TIMEOUT
    for node in nodes:
        client = redis.Redis(port=node.port)
        while client.cluster("info")["cluster_state"] != "ok":
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis Cluster on {addresses} did not reach cluster_state:ok")
            time.sleep(0.05)
        client.close()
