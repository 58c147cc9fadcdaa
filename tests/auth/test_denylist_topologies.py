"""The Redis denylist where production puts it: on a real Redis Cluster (a token's keys live
in different slots) and on a Redis that stops answering (it must not hang a request)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis.cluster

from netrun.auth import AuthConfig, JWTManager, RedisDenylist, TokenRejectedError
from netrun.auth.exceptions import AuthUnavailableError
from tests import _redis_topologies as topologies

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_cluster_url() -> Iterator[str]:
    yield from topologies.start_cluster()


def test_revocations_on_a_cluster_are_seen_by_another_worker(
    redis_cluster_url: str, config: AuthConfig
) -> None:
    worker_a = JWTManager(config, denylist=RedisDenylist(url=redis_cluster_url, prefix="c:"))
    worker_b = JWTManager(config, denylist=RedisDenylist(url=redis_cluster_url, prefix="c:"))
    assert isinstance(worker_b.denylist._client, redis.cluster.RedisCluster)  # type: ignore[attr-defined]
    kept = worker_a.create_access_token("7")
    revoked = worker_a.create_access_token("8")
    assert worker_b.verify(kept)["sub"] == "7"  # reads the token's keys, slot by slot
    worker_a.revoke_token(revoked)
    with pytest.raises(TokenRejectedError) as caught:
        worker_b.verify(revoked)
    assert caught.value.reason == "revoked"
    worker_a.revoke_user("7")  # a cut-off value under another slot than the token's id
    with pytest.raises(TokenRejectedError):
        worker_b.verify(kept)
    pair = worker_a.create_token_pair("9")
    worker_a.refresh(pair.refresh_token)
    with pytest.raises(TokenRejectedError) as caught:
        worker_b.refresh(pair.refresh_token)
    assert caught.value.reason == "refresh_reuse"


def test_a_redis_that_stops_answering_is_a_503_not_a_hang(config: AuthConfig) -> None:
    """A server that accepts the connection and never answers (a hung or blackholed Redis):
    the denylist's URL client times out and verification is refused as unavailable."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the kernel; nothing ever reads them
    url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    manager = JWTManager(config, denylist=RedisDenylist(url=url, socket_timeout=0.2))
    token = manager.create_access_token("1")
    outcome: list[Any] = []

    def verify() -> None:
        try:
            outcome.append(manager.verify(token))
        except Exception as error:  # what the request would get
            outcome.append(error)

    caller = threading.Thread(target=verify, daemon=True)
    caller.start()
    caller.join(60)  # a liveness bound, not a duration: without a timeout it never returns
    silent.close()
    assert not caller.is_alive(), "verification hung on a Redis that does not answer"
    (error,) = outcome
    assert isinstance(error, AuthUnavailableError)
    assert error.details["store_error"] == "TimeoutError"
