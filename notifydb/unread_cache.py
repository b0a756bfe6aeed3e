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
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import NamedTuple, Protocol
from uuid import UUID

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

from notifydb import lua
from notifydb.client_base import Inbox, WriteListener
from notifydb.redis_connection import REDIS_ERRORS, RedisClient, is_outage, require_fail_fast

logger = logging.getLogger("notifydb.unread_cache")

NO_GENERATION = "0"  # what a reader notes when the inbox has no generation yet


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
        client.add_write_listener(self.invalidate_inboxes)

    def get(self, tenant_id: UUID, user_id: UUID | None) -> int:
        """The inbox's unread count; never raises for Redis trouble."""
        if self._client.in_callers_transaction():
            # The caller's transaction may hold uncommitted writes or an older snapshot.
            return self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        keys = inbox_keys(tenant_id, user_id)
        try:
            # A hit costs one GET; only a miss reads the generation, still before Postgres.
            cached = self._redis.get(keys.count)
            if cached is not None:
                return int(cached)
            generation = self._redis.get(keys.generation)
        except REDIS_ERRORS as exc:
            _log_failure("unread count from Postgres: Redis failed", exc)
            return self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        count = self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        self._store_if_current(keys, generation.decode() if generation is not None else NO_GENERATION, count)
        return count

    def invalidate(self, tenant_id: UUID, user_id: UUID | None) -> None:
        """Forget the inbox's count (for writes made without this cache's Client, after they commit)."""
        self.invalidate_inboxes([(tenant_id, user_id)])

    def invalidate_inboxes(self, inboxes: Sequence[Inbox]) -> None:
        """Forget these inboxes' counts: one pipeline per Redis node, whatever their number.

        The Client calls this after each committed write. The new generations go first: a
        reader storing before its inbox's count is deleted is refused, not left in place.
        After the first Redis error the rest is left to the TTL: a hung Redis costs one timeout.
        """
        generation = secrets.token_hex(8)
        batches = self._batches(inboxes)
        for done, (redis_client, slots) in enumerate(batches):
            pipeline = redis_client.pipeline(transaction=False)
            for slot in slots:
                for keys in slot:
                    pipeline.execute_command("SET", keys.generation, generation, "EX", self._generation_ttl)
            for slot in slots:
                pipeline.execute_command("DEL", *(keys.count for keys in slot))
            try:
                pipeline.execute()
            except REDIS_ERRORS as exc:
                left = sum(len(slot) for _, slots in batches[done:] for slot in slots)
                _log_failure(
                    f"{left} of {len(inboxes)} unread counts not invalidated; stale for up to {self._ttl} s", exc
                )
                return

    def _batches(self, inboxes: Sequence[Inbox]) -> list[tuple[redis.Redis, list[list[InboxKeys]]]]:
        """The inboxes' keys per Redis node, in groups of one Cluster slot (a multi-key DEL
        must stay in one); on a single Redis, one node and one group.

        Not a Cluster pipeline: that retries a failed node's commands one by one, a timeout each.
        """
        keys = [inbox_keys(tenant_id, user_id) for tenant_id, user_id in dict.fromkeys(inboxes)]
        if not keys:
            return []
        if not isinstance(self._redis, RedisCluster):
            return [(self._redis, [keys])]
        nodes: dict[str, tuple[redis.Redis, dict[int, list[InboxKeys]]]] = {}
        for inbox in keys:
            slot = key_slot(inbox.count.encode())
            node = self._redis.nodes_manager.get_node_from_slot(slot)
            slots = nodes.setdefault(node.name, (self._redis.get_redis_connection(node), {}))[1]
            slots.setdefault(slot, []).append(inbox)
        return [(client, list(slots.values())) for client, slots in nodes.values()]

    def _store_if_current(self, keys: InboxKeys, generation: str, count: int) -> None:
        try:
            self._store(keys=[keys.count, keys.generation], args=[generation, count, self._ttl, self._generation_ttl])
        except REDIS_ERRORS as exc:
            _log_failure("unread count not cached: Redis failed", exc)


def _log_failure(message: str, exc: Exception) -> None:
    """A Redis outage is a warning; an error reply (a bug, e.g. WRONGTYPE) is an error. Neither raises."""
    level = logging.WARNING if is_outage(exc) else logging.ERROR
    logger.log(level, "%s (%s: %s)", message, type(exc).__name__, exc)
