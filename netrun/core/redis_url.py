"""Redis urls that name a cluster: ``redis+cluster://host:port`` (``rediss+cluster://`` for TLS).

redis-py has no url scheme for Redis Cluster, so the apps that take a Redis url (rate limits,
LLM budgets) accept these two and connect a ``RedisCluster`` client to the plain url. This
module only reads the url: it imports no Redis client and no framework.
"""

from __future__ import annotations

__all__ = ["CLUSTER_SCHEME", "TLS_CLUSTER_SCHEME", "cluster_url"]

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
