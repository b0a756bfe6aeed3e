"""Helpers shared by the rate-limit tests."""

from __future__ import annotations

from notifydb.redis_connection import RedisClient


def all_keys(client: RedisClient) -> list[str]:
    """Every key on the server (on every primary of a cluster)."""
    return sorted(key.decode() for key in client.scan_iter(count=1000))


def keys_without_ttl(client: RedisClient) -> list[str]:
    return [key for key in all_keys(client) if client.pttl(key) <= 0]
