"""Redis urls that name a cluster: ``redis+cluster://host:port`` (``rediss+cluster://`` for TLS).

redis-py has no url scheme for Redis Cluster, so the apps that take a Redis url (rate limits,
LLM budgets, LLM circuit breakers) accept these two and connect a ``RedisCluster`` client to
the plain url. :func:`redis_client` builds the client a url names; redis-py is imported only
then, so this module imports without it. No framework import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    import redis
    import redis.asyncio
    import redis.cluster

__all__ = ["CLUSTER_SCHEME", "TLS_CLUSTER_SCHEME", "cluster_url", "redis_client"]

#: A url with this scheme connects a ``RedisCluster`` client (any node; the others are
#: discovered).
CLUSTER_SCHEME = "redis+cluster://"
#: The same over TLS.
TLS_CLUSTER_SCHEME = "rediss+cluster://"

_PLAIN_SCHEMES = ((CLUSTER_SCHEME, "redis://"), (TLS_CLUSTER_SCHEME, "rediss://"))


def cluster_url(url: str) -> str | None:
    """The plain url of a cluster url, or ``None`` for a single-server url."""
    for scheme, plain in _PLAIN_SCHEMES:
        if url.startswith(scheme):
            return plain + url[len(scheme) :]
    return None


@overload
def redis_client(
    url: str, *, socket_timeout: float, asynchronous: Literal[False] = False
) -> redis.Redis | redis.cluster.RedisCluster: ...


@overload
def redis_client(
    url: str, *, socket_timeout: float, asynchronous: Literal[True]
) -> redis.asyncio.Redis | redis.asyncio.RedisCluster: ...


def redis_client(url: str, *, socket_timeout: float, asynchronous: bool = False) -> Any:
    """The redis-py client ``url`` names: a ``RedisCluster`` for a cluster url, else a
    ``Redis``; from ``redis.asyncio`` when ``asynchronous``. ``socket_timeout`` bounds both
    connecting and each command."""
    import redis
    import redis.asyncio

    module: Any = redis.asyncio if asynchronous else redis
    timeouts = {"socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout}
    plain = cluster_url(url)
    if plain is not None:
        return module.RedisCluster.from_url(plain, **timeouts)
    return module.Redis.from_url(url, **timeouts)
