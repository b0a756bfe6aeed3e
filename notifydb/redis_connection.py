"""Redis clients that fail fast: short timeouts and no retries on the request path.

Redis is never the source of truth here, so a dead or hung Redis must cost a request
at most one timeout, never seconds of retries. redis-py retries by default (three
times with backoff, since 6.0), so the rate limiter and the unread-count cache refuse
a client that would: build one with `connect()`, or pass your own with
`retry=Retry(NoBackoff(), 0)` and `socket_timeout`/`socket_connect_timeout` of at
most `MAX_TIMEOUT` seconds.

On Redis Cluster, redis-py sleeps inside a command on two replies: 0.25 s (and a slot-map
refresh) on CLUSTERDOWN, 0.05 s on a repeated TRYAGAIN. Neither is configurable, so the
clients `connect(cluster=True)` builds parse those replies as ClusterDownReply and
TryAgainReply, which redis-py raises at once like any other error reply (see
FailFastConnection); a cluster client built otherwise is refused. What remains: after a
timeout or connection error redis-py refreshes the slot map (CLUSTER SLOTS from another
node, about a round trip, at most once a second). A cluster with
`cluster-require-full-coverage yes` (Redis's default) answers CLUSTERDOWN on every node
once one primary without a replica is marked failed; with `no`, the other primaries keep
answering and only the failed node's slots are answered without Redis.

Every client also gets a circuit breaker (notifydb.redis_breaker), shared by every
RateLimiter and UnreadCountCache built on it: after a node fails to answer, calls to it
skip Redis for `breaker_interval` seconds but for one probe per interval.
"""

from __future__ import annotations

import functools

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.connection import parse_url
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
# Tries of one cluster command across MOVED/ASK redirects (redis-py: 16). Two follow one
# redirect; a slot still moving then is an outage for this call. TRYAGAIN is not retried
# (see TryAgainReply).
CLUSTER_COMMAND_TRIES = 2

# How long a circuit breaker skips a node that failed before it lets one call try it again.
DEFAULT_BREAKER_INTERVAL = 1.0

# Everything redis-py raises when a server is unreachable, slow or refuses a command.
REDIS_ERRORS = (redis.RedisError, RedisClusterException)


class ClusterDownReply(ResponseError):
    """A CLUSTERDOWN reply, from a client of connect(cluster=True).

    Not a ClusterDownError, on purpose: on that, redis-py sleeps 0.25 s and refreshes the
    slot map inside the command before raising it.
    """


class TryAgainReply(ResponseError):
    """A TRYAGAIN reply (a multi-key command on a slot being migrated), from a client of
    connect(cluster=True). Not a TryAgainError: redis-py retries that, sleeping 0.05 s."""


# Replies from a Redis that is there but cannot serve now: full, a replica during a
# failover, a cluster that is down or resharding. Other error replies mean the command is
# wrong (a script bug, WRONGTYPE, a missing ACL permission): a bug, not an outage.
_UNAVAILABLE_REPLIES = (
    OutOfMemoryError,
    ReadOnlyError,
    ClusterDownError,
    TryAgainError,
    ClusterDownReply,
    TryAgainReply,
)

# Of those, the ones that refuse one command, not the node: writes (OOM, READONLY) or one
# slot for a moment (TRYAGAIN). The node still serves reads, so they do not open its breaker.
_ONE_COMMAND_REFUSED = (OutOfMemoryError, ReadOnlyError, TryAgainError, TryAgainReply)

RedisClient = redis.Redis | RedisCluster


@functools.cache
def _fail_fast_parser(parser_class: type) -> type:
    """`parser_class`, but CLUSTERDOWN and TRYAGAIN replies raise ClusterDownReply and TryAgainReply."""
    exception_classes = {**parser_class.EXCEPTION_CLASSES, "CLUSTERDOWN": ClusterDownReply, "TRYAGAIN": TryAgainReply}
    return type(f"FailFast{parser_class.__name__}", (parser_class,), {"EXCEPTION_CLASSES": exception_classes})


class _FailFastParsing:
    """Mixin for a redis-py Connection: whatever parser it picks (hiredis, RESP2, RESP3),
    parse with the fail-fast variant. parse_error is a classmethod, so a subclass is needed."""

    def set_parser(self, parser_class: type) -> None:
        super().set_parser(_fail_fast_parser(parser_class))  # type: ignore[misc]


class FailFastConnection(_FailFastParsing, redis.Connection):
    """The connection class of connect(cluster=True): see ClusterDownReply and TryAgainReply."""


class FailFastSSLConnection(_FailFastParsing, redis.SSLConnection):
    """FailFastConnection over TLS (rediss:// URLs)."""


def connect(
    url: str = DEFAULT_URL,
    timeout: float = DEFAULT_TIMEOUT,
    cluster: bool = False,
    breaker_interval: float = DEFAULT_BREAKER_INTERVAL,
) -> RedisClient:
    """A client for `url` whose every command fails within `timeout` seconds, without retries.

    `cluster=True` gives a RedisCluster that discovers the other nodes from this one.
    `breaker_interval`: seconds a node that failed is skipped between probes, by every
    RateLimiter and UnreadCountCache built on this client (see notifydb.redis_breaker).
    """
    from notifydb.redis_breaker import register_breaker

    options = {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }
    client = _cluster_client(url, options) if cluster else redis.Redis.from_url(url, **options)
    register_breaker(client, breaker_interval)
    return client


def _cluster_client(url: str, options: dict) -> RedisCluster:
    """RedisCluster.from_url, with the fail-fast connection class (from_url would let a
    rediss:// URL's SSLConnection replace it)."""
    url_options = parse_url(url)
    if "path" in url_options or url_options.pop("db", 0) != 0:
        raise ValueError("a Redis Cluster URL names a host and port, and database 0 if any")
    tls = issubclass(url_options.pop("connection_class", redis.Connection), redis.SSLConnection)
    url_options["connection_class"] = FailFastSSLConnection if tls else FailFastConnection
    client = RedisCluster(**url_options, **options)
    client.RedisClusterRequestTTL = CLUSTER_COMMAND_TRIES  # read per command from the instance
    return client


def is_outage(exc: Exception) -> bool:
    """Whether `exc` (one of REDIS_ERRORS) says Redis cannot answer now, rather than that a command is wrong."""
    if not isinstance(exc, ResponseError):
        return True  # unreachable, timed out, still loading, no cluster node for the slot
    # BUSY: another script has run past lua-time-limit; Redis answers again when it ends.
    return isinstance(exc, _UNAVAILABLE_REPLIES) or str(exc).startswith("BUSY ")


def node_is_down(exc: Exception) -> bool:
    """Whether `exc` says the node serves no command now (so its circuit breaker opens):
    it did not answer, or answered BUSY or CLUSTERDOWN. An error reply that refuses only this
    command (a write on a full Redis, TRYAGAIN, CLUSTERDOWN for a slot no node serves) or
    says it is wrong (a bug) does not."""
    if isinstance(exc, _ONE_COMMAND_REFUSED):
        return False
    if isinstance(exc, (ClusterDownError, ClusterDownReply)) and str(exc).startswith("Hash slot not served"):
        return False
    return is_outage(exc)


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
    if isinstance(client, RedisCluster) and not issubclass(kwargs.get("connection_class", object), _FailFastParsing):
        problems.append("it sleeps 0.25 s on a CLUSTERDOWN reply (its connection_class is not FailFastConnection)")
    return problems
