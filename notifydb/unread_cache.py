"""Cache-aside for unread counts: Redis first, notifydb.unread_count on a miss or a Redis failure.

Consistency: the cache registers as a write listener on the Client, so every write made
through it, once committed, gives each inbox it touched a new generation and then deletes
its count (one pipeline for all of them, however many users a fan-out reached). A reader
notes the generation before it reads Postgres and stores its count only if the generation
is unchanged (a compare-and-set script), so a reader that read before a write committed
cannot store its stale count after the write's invalidation. The Client refuses writes
inside a transaction it did not open (it could not invalidate after that commit), and
counts read inside such a transaction are not cached (they may be uncommitted or from an
older snapshot). Writes made elsewhere are bounded by `ttl_seconds`.

Generations live `generation_ttl_seconds` (default a day), far longer than any read; a
generation that expired during one read could let that read store a stale count.

Redis outages: every call goes through the client's circuit breaker (notifydb.redis_breaker),
so once a node is found down, counts of its inboxes come from Postgres at once (but for one
probe per interval). An invalidation that failed, or was skipped, is remembered in this
object (for every thread of the process) by the node it belongs to, and made good at this
cache's next contact with that node, before anything is served from it: a `get` or an
invalidation first sets new generations for and deletes the remembered counts. So a count
Redis still holds (a restart from its append-only file, a DEL lost with a connection) is
never served after a write through the Client. At most `max_remembered` counts are
remembered; past that the cache forgets them and serves every count from Postgres until
every count cached before the last failure has expired (`ttl_seconds` and
DISTRUST_MARGIN_SECONDS later). Not covered:
a process that dies before it reaches Redis again takes its list with it, and other
processes may serve such a count until this one reaches Redis; `ttl_seconds` bounds both.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Sequence
from typing import NamedTuple, Protocol
from uuid import UUID

import redis
from redis.client import Pipeline
from redis.cluster import RedisCluster
from redis.crc import key_slot

from notifydb import lua
from notifydb.client_base import Inbox, WriteListener
from notifydb.redis_breaker import Circuit, RedisBreaker, breaker_for
from notifydb.redis_connection import REDIS_ERRORS, RedisClient, is_outage, node_is_down, require_fail_fast

logger = logging.getLogger("notifydb.unread_cache")

NO_GENERATION = "0"  # what a reader notes when the inbox has no generation yet

# Failed invalidations remembered at most (about 300 bytes each); see the module docstring.
MAX_REMEMBERED = 100_000
# Added to ttl_seconds when the cache stops trusting Redis after forgetting its list: covers
# a reader that noted a generation before the failure and stores its count just after it.
DISTRUST_MARGIN_SECONDS = 5.0


class CountSource(Protocol):
    """The parts of notifydb.Client the cache uses."""

    def unread_count(self, tenant_id: UUID, user_id: UUID | None) -> int: ...

    def add_write_listener(self, listener: WriteListener) -> None: ...

    def in_callers_transaction(self) -> bool: ...


class InboxKeys(NamedTuple):
    count: str
    generation: str


def inbox_keys(tenant_id: UUID, user_id: UUID | None) -> InboxKeys:
    """Both keys share the inbox's hash tag, so the store script works on Redis Cluster.

    Version 2: generations are random tokens (version 1 counted them with INCR), and the
    tag holds the UUIDs' hex (a third of the cost of their dashed form, on every hit).
    """
    tag = f"{{{tenant_id.hex}:{user_id.hex if user_id else 'tenant'}}}"
    return InboxKeys(count=f"notifydb:unread:{tag}:count:v2", generation=f"notifydb:unread:{tag}:generation:v2")


class UnreadCountCache:
    max_remembered = MAX_REMEMBERED  # failed invalidations remembered at most (settable per cache)

    def __init__(
        self,
        client: CountSource,
        redis_client: RedisClient,
        ttl_seconds: int = 60,
        generation_ttl_seconds: int = 86400,
    ) -> None:
        require_fail_fast(redis_client)
        if ttl_seconds < 1 or generation_ttl_seconds < ttl_seconds:
            raise ValueError("ttl_seconds must be at least 1 and at most generation_ttl_seconds")
        self._client = client
        self._redis = redis_client
        self._ttl = ttl_seconds
        self._generation_ttl = generation_ttl_seconds
        self._store = redis_client.register_script(lua.load("unread_count_store.lua"))
        self.breaker: RedisBreaker = breaker_for(redis_client)
        # node -> {keys of a count not invalidated: the sequence number of its last failure}
        self._failed: dict[str, dict[InboxKeys, int]] = {}
        self._failed_count = 0
        self._failure_sequence = 0
        self._failed_lock = threading.Lock()
        self._distrust_until = 0.0  # monotonic; see MAX_REMEMBERED
        client.add_write_listener(self.invalidate_inboxes)

    @property
    def not_invalidated(self) -> int:
        """How many counts this cache could not invalidate yet and will before serving them (for metrics)."""
        return self._failed_count

    def get(self, tenant_id: UUID, user_id: UUID | None) -> int:
        """The inbox's unread count; never raises for Redis trouble."""
        if self._client.in_callers_transaction():
            # The caller's transaction may hold uncommitted writes or an older snapshot.
            return self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        if self._distrust_until and self._distrusted():
            return self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        keys = inbox_keys(tenant_id, user_id)
        circuit = self.breaker.circuit_for(keys.count)
        ticket = circuit.enter()
        if ticket is None:  # the node is down: Postgres answers at once
            return self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        try:
            if self._failed.get(circuit.node):
                self._invalidate_remembered(circuit.node)  # before anything is served from the node
            # A hit costs one GET; only a miss reads the generation, still before Postgres.
            cached = self._redis.get(keys.count)
            if cached is not None:
                circuit.answered(ticket)
                return int(cached)
            generation = self._redis.get(keys.generation)
        except REDIS_ERRORS as exc:
            circuit.failed(ticket, exc)
            _log_failure("unread count from Postgres: Redis failed", exc)
            return self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        circuit.answered(ticket)
        count = self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        generation = generation.decode() if generation is not None else NO_GENERATION
        self._store_if_current(circuit, keys, generation, count)
        return count

    def invalidate(self, tenant_id: UUID, user_id: UUID | None) -> None:
        """Forget the inbox's count (for writes made without this cache's Client, after they commit)."""
        self.invalidate_inboxes([(tenant_id, user_id)])

    def invalidate_inboxes(self, inboxes: Sequence[Inbox]) -> None:
        """Forget these inboxes' counts: one pipeline per Redis node, whatever their number.

        The Client calls this after each committed write. The new generations go first: a
        reader storing before its inbox's count is deleted is refused, not left in place.
        A node whose breaker is open is skipped; after the first outage the other nodes are
        skipped too (a hung Redis costs one timeout). Skipped and failed counts are
        remembered and invalidated at the next contact with their node.
        """
        keys = [inbox_keys(tenant_id, user_id) for tenant_id, user_id in dict.fromkeys(inboxes)]
        try:
            batches = self._batches(keys)
        except REDIS_ERRORS as exc:  # a cluster slot no node serves: no node to remember them by
            self._distrust(len(keys), f"unread counts not invalidated ({type(exc).__name__}: {exc})")
            return
        generation = secrets.token_hex(8)
        outage = False
        for circuit, redis_client, slots in batches:
            ticket = None if outage else circuit.enter()
            if ticket is None:
                self._remember(circuit.node, slots)
                continue
            try:
                if self._failed.get(circuit.node):
                    self._invalidate_remembered(circuit.node)
                self._pipeline(redis_client, slots, generation).execute()
            except REDIS_ERRORS as exc:
                circuit.failed(ticket, exc)
                if is_outage(exc):
                    outage = True
                    self._remember(circuit.node, slots)
                count = sum(len(slot) for slot in slots)
                _log_failure(f"{count} unread counts on Redis {circuit.node} not invalidated", exc)
                continue
            circuit.answered(ticket)

    def _pipeline(self, redis_client: redis.Redis, slots: list[list[InboxKeys]], generation: str) -> Pipeline:
        pipeline = redis_client.pipeline(transaction=False)
        for slot in slots:
            for keys in slot:
                pipeline.execute_command("SET", keys.generation, generation, "EX", self._generation_ttl)
        for slot in slots:
            pipeline.execute_command("DEL", *(keys.count for keys in slot))
        return pipeline

    def _batches(self, keys: Sequence[InboxKeys]) -> list[tuple[Circuit, redis.Redis, list[list[InboxKeys]]]]:
        """The keys per Redis node, in groups of one Cluster slot (a multi-key DEL must stay
        in one); on a single Redis, one node and one group.

        Not a Cluster pipeline: that retries a failed node's commands one by one, a timeout each.
        """
        if not keys:
            return []
        if not isinstance(self._redis, RedisCluster):
            return [(self.breaker.circuit(""), self._redis, [list(keys)])]
        nodes: dict[str, tuple[redis.Redis, dict[int, list[InboxKeys]]]] = {}
        for inbox in keys:
            slot = key_slot(inbox.count.encode())
            node = self._redis.nodes_manager.get_node_from_slot(slot)
            slots = nodes.setdefault(node.name, (self._redis.get_redis_connection(node), {}))[1]
            slots.setdefault(slot, []).append(inbox)
        return [(self.breaker.circuit(name), client, list(slots.values())) for name, (client, slots) in nodes.items()]

    def _remember(self, node: str, slots: list[list[InboxKeys]]) -> None:
        """Remember counts of `node` that could not be invalidated."""
        with self._failed_lock:
            self._failure_sequence += 1
            if self._distrust_until:
                self._distrust_until = time.monotonic() + self._ttl + DISTRUST_MARGIN_SECONDS
                return
            failed = self._failed.setdefault(node, {})
            for slot in slots:
                for keys in slot:
                    self._failed_count += keys not in failed
                    failed[keys] = self._failure_sequence
            if self._failed_count <= self.max_remembered:
                return
        self._distrust(0, f"unread counts not invalidated, more than the {self.max_remembered} remembered")

    def _distrust(self, forgotten: int, why: str) -> None:
        """Forget the remembered counts (and `forgotten` others) and serve every count from
        Postgres until all that were cached before now have expired."""
        with self._failed_lock:
            forgotten += self._failed_count
            self._failed.clear()
            self._failed_count = 0
            self._distrust_until = time.monotonic() + self._ttl + DISTRUST_MARGIN_SECONDS
        logger.warning(
            "%d %s: every count comes from Postgres for the next %d s (until every count cached before has expired)",
            forgotten,
            why,
            self._ttl + DISTRUST_MARGIN_SECONDS,
        )

    def _invalidate_remembered(self, node: str) -> None:
        """Invalidate the remembered counts of `node`; raises REDIS_ERRORS (they stay remembered)."""
        with self._failed_lock:
            remembered = dict(self._failed.get(node, {}))
        if not remembered:
            return
        generation = secrets.token_hex(8)
        for _, redis_client, slots in self._batches(list(remembered)):
            self._pipeline(redis_client, slots, generation).execute()
        with self._failed_lock:
            failed = self._failed.get(node, {})
            for keys, sequence in remembered.items():
                if failed.get(keys) == sequence:  # not failed again meanwhile
                    del failed[keys]
                    self._failed_count -= 1
            if not failed:
                self._failed.pop(node, None)
        logger.info("%d unread counts invalidated late, after Redis %s answered again", len(remembered), node)

    def _distrusted(self) -> bool:
        """Whether Redis may hold counts this cache forgot it could not invalidate."""
        if time.monotonic() < self._distrust_until:
            return True
        with self._failed_lock:
            if time.monotonic() >= self._distrust_until:
                self._distrust_until = 0.0
        return False

    def _store_if_current(self, circuit: Circuit, keys: InboxKeys, generation: str, count: int) -> None:
        ticket = circuit.enter()
        if ticket is None:
            return
        try:
            self._store(keys=[keys.count, keys.generation], args=[generation, count, self._ttl, self._generation_ttl])
        except REDIS_ERRORS as exc:
            circuit.failed(ticket, exc)
            _log_failure("unread count not cached: Redis failed", exc)
            return
        circuit.answered(ticket)


def _log_failure(message: str, exc: Exception) -> None:
    """A node found down is logged by its breaker (once per outage): here only at debug level.
    Another outage (a full Redis) is a warning; an error reply (a bug, e.g. WRONGTYPE) is an
    error. None raises."""
    level = logging.DEBUG if node_is_down(exc) else logging.WARNING if is_outage(exc) else logging.ERROR
    logger.log(level, "%s (%s: %s)", message, type(exc).__name__, exc)
