"""Cache-aside for unread counts: Redis first, notifydb.unread_count on a miss or a Redis failure.

Consistency: the cache registers as a write listener on the Client, so every write made
through it deletes that inbox's count after commit and increments the inbox's generation.
A reader notes the generation before it reads Postgres and stores its count only if the
generation is unchanged (a compare-and-set script), so a reader that read before a write
committed cannot store its stale count after the write's invalidation. Writes made
elsewhere are bounded by `ttl_seconds`.

Generations live `generation_ttl_seconds` (default a day), far longer than any read; a
generation that expired during one read could let that read store a stale count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from notifydb import lua
from notifydb.client_base import WriteListener
from notifydb.redis_connection import REDIS_ERRORS, RedisClient, require_fail_fast

logger = logging.getLogger("notifydb.unread_cache")

NO_GENERATION = "0"  # what a reader notes when the inbox has no generation yet


class CountSource(Protocol):
    """The parts of notifydb.Client the cache uses."""

    def unread_count(self, tenant_id: UUID, user_id: UUID | None) -> int: ...

    def add_write_listener(self, listener: WriteListener) -> None: ...


@dataclass(frozen=True)
class InboxKeys:
    count: str
    generation: str


def inbox_keys(tenant_id: UUID, user_id: UUID | None) -> InboxKeys:
    """Both keys share the inbox's hash tag, so the scripts work on Redis Cluster."""
    tag = f"{{{tenant_id}:{user_id or 'tenant'}}}"
    return InboxKeys(count=f"notifydb:unread:{tag}:count:v1", generation=f"notifydb:unread:{tag}:generation:v1")


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
        self._invalidate = redis_client.register_script(lua.load("unread_count_invalidate.lua"))
        client.add_write_listener(self.invalidate)

    def get(self, tenant_id: UUID, user_id: UUID | None) -> int:
        """The inbox's unread count; never raises for Redis trouble."""
        keys = inbox_keys(tenant_id, user_id)
        try:
            # A hit costs one GET; only a miss reads the generation, still before Postgres.
            cached = self._redis.get(keys.count)
            if cached is not None:
                return int(cached)
            generation = self._redis.get(keys.generation)
        except REDIS_ERRORS as exc:
            logger.warning("unread count from Postgres: Redis failed (%s: %s)", type(exc).__name__, exc)
            return self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        count = self._client.unread_count(tenant_id=tenant_id, user_id=user_id)
        self._store_if_current(keys, generation.decode() if generation is not None else NO_GENERATION, count)
        return count

    def invalidate(self, tenant_id: UUID, user_id: UUID | None) -> None:
        """Forget the inbox's count (the Client calls this after each committed write)."""
        keys = inbox_keys(tenant_id, user_id)
        try:
            self._invalidate(keys=[keys.count, keys.generation], args=[self._generation_ttl])
        except REDIS_ERRORS as exc:
            logger.warning(
                "unread count not invalidated (%s: %s); stale for up to %s s", type(exc).__name__, exc, self._ttl
            )

    def _store_if_current(self, keys: InboxKeys, generation: str, count: int) -> None:
        try:
            self._store(keys=[keys.count, keys.generation], args=[generation, count, self._ttl, self._generation_ttl])
        except REDIS_ERRORS as exc:
            logger.warning("unread count not cached: Redis failed (%s: %s)", type(exc).__name__, exc)
