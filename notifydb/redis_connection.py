"""Redis clients that fail fast: short timeouts and no retries on the request path.

Redis is never the source of truth here, so a dead or hung Redis must cost a request
at most one timeout, never seconds of retries. redis-py retries by default (three
times with backoff, since 6.0), so the rate limiter and the unread-count cache refuse
a client that would: build one with `connect()`, or pass your own with
`retry=Retry(NoBackoff(), 0)` and `socket_timeout`/`socket_connect_timeout` of at
most `MAX_TIMEOUT` seconds.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException
from redis.retry import Retry

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_TIMEOUT = 0.1
MAX_TIMEOUT = 1.0

# Everything redis-py raises when a server is unreachable, slow or refuses a command.
REDIS_ERRORS = (redis.RedisError, RedisClusterException)

RedisClient = redis.Redis | RedisCluster


def connect(url: str = DEFAULT_URL, timeout: float = DEFAULT_TIMEOUT, cluster: bool = False) -> RedisClient:
    """A client for `url` whose every command fails within `timeout` seconds, without retries.

    `cluster=True` gives a RedisCluster that discovers the other nodes from this one.
    """
    options = {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }
    if cluster:
        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)


def require_fail_fast(client: RedisClient) -> None:
    """Raise ValueError when `client` would retry or wait longer than MAX_TIMEOUT."""
    problems = fail_fast_problems(client)
    if problems:
        raise ValueError(
            "this Redis client does not fail fast ("
            + "; ".join(problems)
            + "): build it with notifydb.ratelimit.connect(url, timeout=0.1)"
        )


def fail_fast_problems(client: RedisClient) -> list[str]:
    retry = client.retry if isinstance(client, RedisCluster) else client.get_retry()
    kwargs = client.get_connection_kwargs()
    problems = []
    if retry is not None and retry.get_retries() > 0:
        problems.append(f"it retries {retry.get_retries()} times")
    elif retry is None and (kwargs.get("retry_on_error") or kwargs.get("retry_on_timeout")):
        problems.append("it retries on errors")  # redis-py then retries once
    read_timeout = kwargs.get("socket_timeout")
    connect_timeout = kwargs.get("socket_connect_timeout") or read_timeout
    for name, value in (("socket_timeout", read_timeout), ("socket_connect_timeout", connect_timeout)):
        if value is None or value > MAX_TIMEOUT:
            problems.append(f"{name} is {value}, more than {MAX_TIMEOUT} s")
    return problems
