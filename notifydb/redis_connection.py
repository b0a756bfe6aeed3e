"""Redis clients that fail fast: short timeouts and no retries on the request path.

Redis is never the source of truth here, so a dead or hung Redis must cost a request
at most one timeout, never seconds of retries. redis-py retries by default (three
times with backoff, since 6.0), so the rate limiter and the unread-count cache refuse
a client that would: build one with `connect()`, or pass your own with
`retry=Retry(NoBackoff(), 0)` and `socket_timeout`/`socket_connect_timeout` of at
most `MAX_TIMEOUT` seconds.

On Redis Cluster, what redis-py adds to a failure and cannot be configured away: after a
timeout or connection error it refreshes the slot map (CLUSTER SLOTS from another node,
about a round trip); on a CLUSTERDOWN reply it sleeps 0.25 s and refreshes before it
raises. A cluster with `cluster-require-full-coverage yes` (Redis's default) answers
CLUSTERDOWN on every node once one primary without a replica is marked failed; with `no`,
the other primaries keep answering and only the failed node's slots cost a timeout each.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import (
    ClusterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    ResponseError,
    TryAgainError,
)
from redis.retry import Retry

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_TIMEOUT = 0.1
MAX_TIMEOUT = 1.0
# Tries of one cluster command across MOVED/ASK redirects and TRYAGAIN replies (redis-py:
# 16, sleeping 0.05 s after each TRYAGAIN past the 8th). Two follow one redirect, and a
# second TRYAGAIN costs one such sleep; a slot still moving then is an outage for this call.
CLUSTER_COMMAND_TRIES = 2

# Everything redis-py raises when a server is unreachable, slow or refuses a command.
REDIS_ERRORS = (redis.RedisError, RedisClusterException)

# Replies from a Redis that is there but cannot serve now: full, a replica during a
# failover, a cluster that is down or resharding. Other error replies mean the command is
# wrong (a script bug, WRONGTYPE, a missing ACL permission): a bug, not an outage.
_UNAVAILABLE_REPLIES = (OutOfMemoryError, ReadOnlyError, ClusterDownError, TryAgainError)

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
        client = RedisCluster.from_url(url, **options)
        client.RedisClusterRequestTTL = CLUSTER_COMMAND_TRIES  # read per command from the instance
        return client
    return redis.Redis.from_url(url, **options)


def is_outage(exc: Exception) -> bool:
    """Whether `exc` (one of REDIS_ERRORS) says Redis cannot answer now, rather than that a command is wrong."""
    if not isinstance(exc, ResponseError):
        return True  # unreachable, timed out, still loading, no cluster node for the slot
    # BUSY: another script has run past lua-time-limit; Redis answers again when it ends.
    return isinstance(exc, _UNAVAILABLE_REPLIES) or str(exc).startswith("BUSY ")


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
