"""Redis sliding-window backend: exact across every process that shares the server.

One Lua script does the whole check-and-record atomically on the server, with the server's
clock (``TIME``), so app servers with skewed clocks still agree, and no two processes can
both take the last unit. Keys expire one period after their last admitted hit.

Both keys of a limit share one hash tag (``{key}``), so the script works on Redis Cluster:
pass a ``redis+cluster://host:port`` url (any node; the others are discovered) or a ready
``redis.cluster.RedisCluster`` client. Behind Sentinel, pass the client of
``Sentinel(...).master_for(name)``.

Needs Redis >= 5 (scripts that call ``TIME`` are replicated by effects) and ``redis-py``
(``pip install "netrun[redis]"``). Framework-neutral: no Django import.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

from netrun.core.redis_url import CLUSTER_SCHEME, redis_client
from netrun.ratelimit._decision import Decision
from netrun.ratelimit.backends.base import Backend, BackendUnavailableError

if TYPE_CHECKING:
    import redis
    import redis.asyncio
    import redis.cluster

__all__ = ["CLUSTER_SCHEME", "SLIDING_WINDOW_SCRIPT", "RedisBackend"]

# KEYS[1]: sorted set of admitted hits, score = server time in microseconds, member
#          "<sequence>:<cost>" (the sequence keeps members unique within one microsecond).
# KEYS[2]: hash with "used" (sum of the costs in the set) and "seq".
# ARGV:    limit, period in microseconds, cost.
# Returns: {allowed, remaining, reset_after_us, retry_after_us}.
#
# Integer microseconds are exact in a Lua number (a double) for the next 250 years. The running
# total avoids summing the whole window on every hit; it is rebuilt whenever the set is empty,
# so the two keys cannot drift apart for longer than one window.
SLIDING_WINDOW_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])

local function cost_of(member)
  return tonumber(string.match(member, ':(%d+)$'))
end

local horizon = now - period
local used = 0
if redis.call('ZCARD', KEYS[1]) > 0 then
  used = tonumber(redis.call('HGET', KEYS[2], 'used') or '0')
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', horizon)
  if #expired > 0 then
    for i = 1, #expired do
      used = used - cost_of(expired[i])
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', horizon)
  end
  if used < 0 then
    used = 0
  end
end

local allowed = 0
local retry_after = 0
if used + cost <= limit then
  allowed = 1
  if cost > 0 then
    local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
    redis.call('ZADD', KEYS[1], now, seq .. ':' .. cost)
    used = used + cost
    redis.call('HSET', KEYS[2], 'used', used)
    local ttl = math.floor(period / 1000) + 1000
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
else
  -- Walk from the oldest hit until enough cost has expired; each entry costs at least 1, so
  -- at most "needed" entries are read.
  local needed = used + cost - limit
  local oldest = redis.call('ZRANGE', KEYS[1], 0, needed - 1, 'WITHSCORES')
  local freed = 0
  retry_after = period
  for i = 1, #oldest, 2 do
    freed = freed + cost_of(oldest[i])
    if freed >= needed then
      retry_after = tonumber(oldest[i + 1]) + period - now
      break
    end
  end
end

local reset_after = 0
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #newest > 0 then
  reset_after = tonumber(newest[2]) + period - now
end
return {allowed, limit - used, reset_after, retry_after}
"""

_MICROS = 1_000_000


class RedisBackend(Backend):
    """Sliding-window log per key in Redis, checked and recorded by one atomic Lua script.

    Pass a ``url`` (``redis://127.0.0.1:6379/0``, or ``redis+cluster://host:port`` for Redis
    Cluster) or ready clients (``redis.Redis`` or ``redis.cluster.RedisCluster``). Sync callers use a
    ``redis.Redis``; async callers (:meth:`ahit`) get a ``redis.asyncio.Redis`` per event loop,
    since its connections belong to the loop that opened them. Timeouts are short on
    purpose: a rate limit that waits seconds for Redis is worse than one that fails open.
    Connection errors and timeouts raise :class:`BackendUnavailableError`.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | redis.cluster.RedisCluster | None = None,
        async_client: redis.asyncio.Redis | redis.asyncio.RedisCluster | None = None,
        prefix: str = "netrun:rl:",
        socket_timeout: float = 0.5,
    ) -> None:
        super().__init__()
        from netrun.core.deps import require

        require("redis", feature="Shared rate limits in Redis", extra="redis")
        import redis as redis_module

        if url is None and client is None and async_client is None:
            raise ValueError("RedisBackend needs a url or a client")
        self._redis = redis_module
        self.url = url
        self.prefix = prefix
        self._socket_timeout = socket_timeout
        self._client = client
        self._fixed_async_client = async_client
        self._async_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[redis.asyncio.Redis | redis.asyncio.RedisCluster, Any]
        ] = weakref.WeakKeyDictionary()
        self._fixed_async_script: Any = None
        self._script: Any = None

    # ------------------------------------------------------------------ clients

    def _sync_client(self) -> redis.Redis | redis.cluster.RedisCluster:
        if self._client is None:
            if self.url is None:
                raise ValueError("RedisBackend was given only an async client; use ahit()")
            self._client = redis_client(self.url, socket_timeout=self._socket_timeout)
        return self._client

    def _async_script(self) -> Any:
        """The script object of this event loop's client (a Script is bound to its client)."""
        if self._fixed_async_client is not None:
            if self._fixed_async_script is None:
                fixed: Any = self._fixed_async_client  # stubs bind register_script to Redis
                self._fixed_async_script = fixed.register_script(SLIDING_WINDOW_SCRIPT)
            return self._fixed_async_script
        if self.url is None:
            raise ValueError("RedisBackend was given only a sync client; use hit()")
        loop = asyncio.get_running_loop()
        entry = self._async_clients.get(loop)
        if entry is None:
            client = redis_client(self.url, socket_timeout=self._socket_timeout, asynchronous=True)
            scripts: Any = client  # stubs bind register_script to Redis, not RedisCluster
            entry = (client, scripts.register_script(SLIDING_WINDOW_SCRIPT))
            self._async_clients[loop] = entry
        return entry[1]

    def _keys(self, key: str) -> list[str]:
        # One hash tag for both keys: Redis Cluster puts them in the same slot, which a
        # script touching two keys requires.
        base = f"{self.prefix}{{{key}}}"
        return [base, f"{base}:m"]

    @staticmethod
    def _args(limit: int, period: float, cost: int) -> list[int]:
        return [limit, round(period * _MICROS), cost]

    @staticmethod
    def _decision(limit: int, reply: Any) -> Decision:
        allowed, remaining, reset_us, retry_us = (int(value) for value in reply)
        return Decision(bool(allowed), limit, remaining, reset_us / _MICROS, retry_us / _MICROS)

    # ------------------------------------------------------------------ API

    def hit(self, key: str, limit: int, period: float, cost: int) -> Decision:
        try:
            client: Any = self._sync_client()  # stubs bind register_script to Redis
            if self._script is None:
                self._script = client.register_script(SLIDING_WINDOW_SCRIPT)
            reply = self._script(keys=self._keys(key), args=self._args(limit, period, cost))
        except (self._redis.RedisError, OSError) as error:
            raise BackendUnavailableError(f"Redis is unavailable: {error}") from error
        return self._decision(limit, reply)

    async def ahit(self, key: str, limit: int, period: float, cost: int) -> Decision:
        try:
            script = self._async_script()
            reply = await script(keys=self._keys(key), args=self._args(limit, period, cost))
        except (self._redis.RedisError, OSError) as error:
            raise BackendUnavailableError(f"Redis is unavailable: {error}") from error
        return self._decision(limit, reply)

    def reset(self, key: str) -> None:
        try:
            self._sync_client().delete(*self._keys(key))
        except (self._redis.RedisError, OSError) as error:
            raise BackendUnavailableError(f"Redis is unavailable: {error}") from error

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        # Async clients close with their event loop; closing them here would need that loop.
