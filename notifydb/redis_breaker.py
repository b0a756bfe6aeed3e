"""Circuit breakers for Redis: one outage costs a caller one timeout, not one per request.

Each Redis client has one RedisBreaker (`breaker_for(client)`), shared by every
RateLimiter and UnreadCountCache built on it, with one Circuit per Redis node: a single
server has one; a cluster one per primary, so a hung primary costs only its own slots.

A circuit is closed while its node answers. A call that finds the node down (no answer:
refused, reset, timed out, loading; or BUSY, CLUSTERDOWN) opens it: for the next
`interval` seconds calls skip the node and answer at once without Redis (the limiter by
each policy's on_redis_error, the cache from Postgres). After that interval one call, the
probe, tries the node again: an answer closes the circuit, a failure keeps it open for
another interval. So an outage costs each caller that was already waiting on the node one
timeout, and then one probe per interval in all, whatever the number of requests. It logs
one line when it opens and one when it closes (logger `notifydb.redis`).

Calls carry a ticket (the circuit's generation when they started), so a call that was
already in flight when the circuit opened can neither close it nor re-arm it: only the
probe's answer closes it. Closed, entering costs two attribute reads and no lock.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Literal

from redis.cluster import RedisCluster
from redis.crc import key_slot

from notifydb.redis_connection import DEFAULT_BREAKER_INTERVAL, REDIS_ERRORS, RedisClient, node_is_down

logger = logging.getLogger("notifydb.redis")

NO_NODE = "(no node for the slot)"  # the circuit of keys whose slot no cluster node serves


@dataclass(frozen=True)
class CircuitState:
    """A circuit's state, for metrics. Counts are since the circuit was made.

    state: "closed" (calls go to Redis) or "open" (calls skip it, but for one probe per
    interval). open_seconds: how long it has been open (0 when closed). opened: how many
    times it opened. failures: calls that reached for the node and found it down.
    probes: calls let through while open. skipped: calls answered without Redis.
    """

    node: str
    state: Literal["closed", "open"]
    open_seconds: float
    opened: int
    failures: int
    probes: int
    skipped: int


class Circuit:
    """The breaker of one Redis node. Thread-safe.

    ticket = circuit.enter(): None means skip Redis and answer without it; otherwise call
    Redis, then circuit.answered(ticket) on any reply (an error reply is an answer too), or
    circuit.failed(ticket, exc) on a Redis error.
    """

    def __init__(self, node: str, interval: float) -> None:
        self.node = node
        self.interval = interval
        self._lock = threading.Lock()
        # Written under the lock; _open and _generation also read without it (enter,
        # answered). Opening sets _open before it bumps _generation and closing bumps
        # _generation before it clears _open, so a ticket read first and then a closed
        # _open is never the ticket of an open circuit (which only a probe may hold).
        self._open = False
        self._generation = 0
        self._opened_at = 0.0
        self._probe_at = 0.0
        self._skipped_since_open = 0
        self._opened = self._failures = self._probes = self._skipped = 0

    def enter(self) -> int | None:
        ticket = self._generation
        if not self._open:
            return ticket
        with self._lock:
            if not self._open:
                return self._generation
            now = time.monotonic()
            if now < self._probe_at:
                self._skipped += 1
                self._skipped_since_open += 1
                return None
            # The next probe is due an interval from now even if this one never reports.
            self._probe_at = now + self.interval
            self._probes += 1
            return self._generation

    def answered(self, ticket: int) -> None:
        """The node answered. While open, only the probe's ticket is current: it closes the circuit."""
        if self._open and ticket == self._generation:
            self._close(ticket)

    def failed(self, ticket: int, exc: Exception) -> None:
        """A call with `ticket` failed with `exc` (one of REDIS_ERRORS)."""
        if not node_is_down(exc):
            self.answered(ticket)  # an error reply for this command only: the node is there
            return
        with self._lock:
            self._failures += 1
            if ticket != self._generation:
                return  # in flight since before the circuit last changed: old news
            now = time.monotonic()
            self._probe_at = now + self.interval
            if self._open:
                return  # the probe failed: try again an interval from now
            self._open = True
            self._generation += 1
            self._opened_at = now
            self._opened += 1
            self._skipped_since_open = 0
        logger.warning(
            "Redis %s is down (%s: %s): answering without it, trying it again every %g s",
            self.node,
            type(exc).__name__,
            exc,
            self.interval,
        )

    def _close(self, ticket: int) -> None:
        with self._lock:
            if not self._open or ticket != self._generation:
                return
            self._generation += 1
            self._open = False
            down_for = time.monotonic() - self._opened_at
            skipped = self._skipped_since_open
        logger.info(
            "Redis %s answers again after %.1f s down; %d calls were answered without it", self.node, down_for, skipped
        )

    def state(self) -> CircuitState:
        with self._lock:
            return CircuitState(
                node=self.node,
                state="open" if self._open else "closed",
                open_seconds=time.monotonic() - self._opened_at if self._open else 0.0,
                opened=self._opened,
                failures=self._failures,
                probes=self._probes,
                skipped=self._skipped,
            )


class RedisBreaker:
    """The circuits of one Redis client, one per node, made as they are first needed."""

    def __init__(self, client: RedisClient, interval: float = DEFAULT_BREAKER_INTERVAL) -> None:
        if not interval > 0:
            raise ValueError("the breaker interval must be positive")
        self.interval = interval
        self._cluster = client if isinstance(client, RedisCluster) else None
        self._single = None if self._cluster else Circuit(_address(client), interval)
        self._circuits: dict[str, Circuit] = {}
        self._lock = threading.Lock()

    def circuit(self, node: str) -> Circuit:
        """The circuit of the node named `node` ("host:port"); on a single server, its only one."""
        if self._single is not None:
            return self._single
        circuit = self._circuits.get(node)
        if circuit is None:
            with self._lock:
                circuit = self._circuits.setdefault(node, Circuit(node, self.interval))
        return circuit

    def circuit_for(self, key: str) -> Circuit:
        """The circuit of the node that serves `key` now."""
        if self._single is not None:
            return self._single
        try:
            node = self._cluster.nodes_manager.get_node_from_slot(key_slot(key.encode())).name
        except REDIS_ERRORS:
            node = NO_NODE
        return self.circuit(node)

    def state(self) -> list[CircuitState]:
        """Every circuit's state, for metrics."""
        if self._single is not None:
            return [self._single.state()]
        with self._lock:
            circuits = list(self._circuits.values())
        return [circuit.state() for circuit in circuits]


def _address(client: RedisClient) -> str:
    kwargs = client.get_connection_kwargs()
    if kwargs.get("path"):
        return kwargs["path"]
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"


_breakers: weakref.WeakKeyDictionary[RedisClient, RedisBreaker] = weakref.WeakKeyDictionary()
_breakers_lock = threading.Lock()


def register_breaker(client: RedisClient, interval: float = DEFAULT_BREAKER_INTERVAL) -> RedisBreaker:
    """Give `client` a breaker with `interval` (connect() does), replacing one it had."""
    breaker = RedisBreaker(client, interval)
    with _breakers_lock:
        _breakers[client] = breaker
    return breaker


def breaker_for(client: RedisClient) -> RedisBreaker:
    """`client`'s breaker: the one connect() gave it, else one with the default interval,
    made now and kept for the client's other users."""
    with _breakers_lock:
        breaker = _breakers.get(client)
        if breaker is None:
            breaker = _breakers[client] = RedisBreaker(client)
        return breaker
