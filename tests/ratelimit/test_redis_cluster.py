"""The Redis limiter on a real local 3-master Redis Cluster (started and killed by the test)."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator

import pytest
import redis
import redis.cluster

from netrun.ratelimit import RateLimiter, RedisBackend
from tests import _redis_topologies as topologies
from tests.ratelimit import test_redis as single

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_cluster_url() -> Iterator[str]:
    yield from topologies.start_cluster()


@pytest.fixture
def cluster(redis_cluster_url: str) -> Iterator[redis.cluster.RedisCluster]:
    client = redis.cluster.RedisCluster.from_url(
        redis_cluster_url.replace("redis+cluster://", "redis://")
    )
    client.flushall(target_nodes=redis.cluster.RedisCluster.PRIMARIES)
    yield client
    client.close()


def test_both_keys_of_a_limit_share_a_slot_and_limits_spread_over_the_masters(
    redis_cluster_url: str, cluster: redis.cluster.RedisCluster
) -> None:
    backend = RedisBackend(redis_cluster_url)
    limiter = RateLimiter("2/h", backend)
    keys = [f"user:{n}" for n in range(30)]
    for key in keys:
        assert [limiter.hit(key).allowed for _ in range(3)] == [True, True, False]
    stored = [k for node_keys in _all_keys(cluster) for k in node_keys]
    assert len(stored) == 2 * len(keys)  # a log and a meta hash per limited key
    by_slot: dict[int, int] = {}
    for key in stored:
        by_slot[cluster.keyslot(key)] = by_slot.get(cluster.keyslot(key), 0) + 1
    assert set(by_slot.values()) == {2}  # each limit's two keys in one slot
    assert len(_masters_holding_keys(cluster)) == 3  # and the limits spread over the masters
    backend.close()


def _all_keys(cluster: redis.cluster.RedisCluster) -> list[list[bytes]]:
    return [
        cluster.get_redis_connection(node).keys("*")
        for node in cluster.get_nodes()
        if node.server_type == redis.cluster.PRIMARY
    ]


def _masters_holding_keys(cluster: redis.cluster.RedisCluster) -> set[str]:
    return {
        node.name
        for node in cluster.get_nodes()
        if node.server_type == redis.cluster.PRIMARY
        and cluster.get_redis_connection(node).dbsize() > 0
    }


def test_a_ready_cluster_client_and_async_hits(
    redis_cluster_url: str, cluster: redis.cluster.RedisCluster
) -> None:
    backend = RedisBackend(client=cluster, url=redis_cluster_url)
    limiter = RateLimiter("3/m", backend)
    assert limiter.hit("k").allowed

    async def run() -> list[bool]:
        return [(await limiter.ahit("k")).allowed for _ in range(3)]

    assert asyncio.run(run()) == [True, True, False]  # the async cluster client, same counts
    limiter.reset("k")
    assert limiter.hit("k").allowed


def test_eight_processes_on_the_cluster_admit_exactly_the_limit(
    redis_cluster_url: str, cluster: redis.cluster.RedisCluster
) -> None:
    """Count-bounded as on a single server (an hour's window outlasts the run)."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    workers = [
        context.Process(target=single._hammer, args=(redis_cluster_url, ready, go, results))
        for _ in range(single.PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=300)
        go.set()
        per_process = [results.get(timeout=300) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    assert all(worker.exitcode == 0 for worker in workers)
    assert sum(1 for admitted in per_process if admitted) > 1  # they really competed
    assert sum(per_process) == single.LIMIT
    limiter = RateLimiter(f"{single.LIMIT}/1h", RedisBackend(redis_cluster_url))
    assert not limiter.hit("shared").allowed
