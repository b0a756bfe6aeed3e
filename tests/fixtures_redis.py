"""Redis fixtures (registered by tests/conftest.py through pytest_plugins).

redis_url: the session's Redis (see tests/support/redis_server.py for how it is found).
redis_client: a fail-fast client on that server with its database flushed first, so a
  test can SCAN everything it wrote (NOTIFYDB_TEST_REDIS_URL must name a database the
  tests may flush).
redis_cluster: a factory of RedisCluster clients on a real 3-master cluster.
cluster_client: a client on that cluster with every primary flushed first.
any_redis: parametrised: redis_client, then cluster_client (ids "single", "cluster").
throwaway_redis: a redis-server of the test's own (tests/support/redis_server.LocalRedis).
paused_redis_url: a redis-server stopped with SIGSTOP: it accepts connections (the kernel
  does) and never answers, as a hung server does.
stopped_redis_url: a loopback port nobody listens on.
own_cluster: the nodes of a 3-master cluster of the test's own, to pause one of.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from redis.cluster import RedisCluster

from notifydb.redis_connection import RedisClient, connect
from tests.support.redis_server import (
    LocalRedis,
    free_port,
    local_redis,
    local_redis_cluster,
    redis_cluster_url,
    redis_server_url,
)

# Generous (the most the limiter accepts) for tests on a busy machine; the tests of a
# dead or hung Redis use the 0.1 s default.
TEST_TIMEOUT = 1.0


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    try:
        with redis_server_url() as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[RedisClient]:
    client = connect(redis_url, timeout=TEST_TIMEOUT)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[Callable[..., RedisCluster]]:
    """make(timeout=TEST_TIMEOUT) -> a fail-fast RedisCluster client on the session's cluster."""
    try:
        with redis_cluster_url() as url:
            clients: list[RedisCluster] = []

            def make(timeout: float = TEST_TIMEOUT) -> RedisCluster:
                client = connect(url, timeout=timeout, cluster=True)
                clients.append(client)
                return client

            yield make
            for client in clients:
                client.close()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def cluster_client(redis_cluster: Callable[..., RedisCluster]) -> RedisCluster:
    client = redis_cluster()
    client.flushall(target_nodes=RedisCluster.PRIMARIES)
    return client


@pytest.fixture(params=["single", "cluster"])
def any_redis(request: pytest.FixtureRequest) -> RedisClient:
    name = "redis_client" if request.param == "single" else "cluster_client"
    return request.getfixturevalue(name)


@pytest.fixture
def throwaway_redis() -> Iterator[LocalRedis]:
    """A redis-server of the test's own, to pause (SIGSTOP) and resume."""
    with local_redis() as server:
        yield server


@pytest.fixture
def paused_redis_url(throwaway_redis: LocalRedis) -> str:
    throwaway_redis.pause()
    return throwaway_redis.url


@pytest.fixture
def stopped_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def own_cluster() -> Iterator[list[LocalRedis]]:
    """As the README advises, `cluster-require-full-coverage no`: once a paused primary is
    marked failed, the others keep serving their slots. A 1 s node timeout marks it soon."""
    with local_redis_cluster(3, 1000, "--cluster-require-full-coverage", "no") as nodes:
        yield nodes
