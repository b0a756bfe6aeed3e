"""Helpers shared by the rate-limit and unread-count tests."""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.cluster import RedisCluster

from notifydb.redis_connection import RedisClient
from tests.support.redis_server import LocalRedis


def all_keys(client: RedisClient) -> list[str]:
    """Every key on the server (on every primary of a cluster)."""
    return sorted(key.decode() for key in client.scan_iter(count=1000))


def keys_without_ttl(client: RedisClient) -> list[str]:
    return [key for key in all_keys(client) if client.pttl(key) <= 0]


def server_time_us(client: RedisClient) -> int:
    seconds, microseconds = client.time()
    return seconds * 1_000_000 + microseconds


@contextmanager
def commands_sent(client: redis.Redis) -> Iterator[list[list[str]]]:
    """The commands `client` sends inside the block, as MONITOR on its server saw them.

    Commands a script runs (MONITOR's "lua" client) are not counted: they are no round trips.
    `client` must use one connection (no other thread uses it meanwhile).
    """
    sent: list[list[str]] = []
    with client.monitor() as monitor:
        # After MONITOR took a connection of its own: the one the block's commands use.
        address = client.client_info()["addr"]
        yield sent
        marker = "commands-sent-end"
        client.echo(marker)
        started = False  # once that connection's CLIENT INFO went by (after its handshake)
        while True:
            line = monitor.next_command()
            if f"{line['client_address']}:{line['client_port']}" != address:
                continue
            words = shlex.split(line["command"])
            if words == ["ECHO", marker]:
                return
            if started:
                sent.append(words)
            started = started or words == ["CLIENT", "INFO"]


def node_of(client: RedisCluster, key: str, nodes: list[LocalRedis]) -> LocalRedis:
    """The node of `nodes` that serves `key`."""
    port = client.get_node_from_key(key).port
    return next(node for node in nodes if node.port == port)


def wait_until_marked_failed(paused: LocalRedis, nodes: list[LocalRedis], timeout: float = 20) -> None:
    """Until every other node flags `paused` as failed (after the cluster's node timeout)."""
    deadline = time.monotonic() + timeout
    for node in nodes:
        if node is paused:
            continue
        with redis.Redis(port=node.port, socket_timeout=1) as client:
            while not any(
                address.endswith(f":{paused.port}") and "fail" in info["flags"].split(",")
                for address, info in client.cluster("nodes").items()
            ):
                assert time.monotonic() < deadline, f"node {paused.port} was never marked failed"
                time.sleep(0.1)
