"""``redis+cluster://`` urls, read the same way by rate limits and LLM budgets."""

from __future__ import annotations

import pytest

from netrun.core.redis_url import CLUSTER_SCHEME, TLS_CLUSTER_SCHEME, cluster_url, redis_client


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        (f"{CLUSTER_SCHEME}10.0.0.1:7000/0", "redis://10.0.0.1:7000/0"),
        (f"{TLS_CLUSTER_SCHEME}user:pw@node:6380", "rediss://user:pw@node:6380"),
    ],
)
def test_a_cluster_url_names_the_plain_url_of_its_node(url: str, plain: str) -> None:
    assert cluster_url(url) == plain


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://h:6380", "unix:///tmp/redis.sock"]
)
def test_a_single_server_url_is_not_a_cluster_url(url: str) -> None:
    assert cluster_url(url) is None


def test_a_single_server_url_gets_a_redis_client_with_both_timeouts() -> None:
    import redis
    import redis.asyncio

    client = redis_client("redis://127.0.0.1:6379/0", socket_timeout=0.5)
    assert type(client) is redis.Redis
    options = client.connection_pool.connection_kwargs
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (0.5, 0.5)
    async_client = redis_client("redis://127.0.0.1:6379/0", socket_timeout=0.5, asynchronous=True)
    assert type(async_client) is redis.asyncio.Redis
    client.close()
