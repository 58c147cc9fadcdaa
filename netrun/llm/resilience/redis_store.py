"""Circuit-breaker state in Redis, shared by every process that uses the same server.

Each operation is one Lua script call, so two processes can never both take the probe of a
half-open breaker, and a failure counted by one is seen by all. A breaker is two keys with
one hash tag (``netrun:llm:cb:{openai:gpt-4.1}`` and ``...:f``), so the script works on Redis
Cluster (``redis+cluster://`` urls). Times come from the breaker's clock (ARGV), not Redis's
``TIME``, so tests can drive them; keys expire on their own once nothing refreshes them.
:class:`AsyncRedisBreakerStore` runs the same script on the same keys from an event loop
(``redis.asyncio``), so sync and async processes share every breaker.

Needs ``redis-py`` (``pip install "netrun[redis]"``). Framework-neutral: no Django import.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from typing import TYPE_CHECKING, Any, cast

from netrun.core.redis_url import redis_client
from netrun.llm.resilience.store import Admission, BreakerState, Transition

if TYPE_CHECKING:
    import redis
    import redis.asyncio
    import redis.cluster

__all__ = ["BREAKER_SCRIPT", "AsyncRedisBreakerStore", "RedisBreakerStore"]

# KEYS[1]: hash {state, until, lease}; KEYS[2]: sorted set of failure times (member: a token).
# ARGV[1]: operation (acquire, success, failure, cool_down, state); ARGV[2]: now (seconds);
# ARGV[3]: ttl of the keys in ms; then per operation: acquire: probe_timeout; failure:
# threshold, window, cooldown, token; cool_down: seconds.
# Fractions are returned as strings: Redis truncates Lua numbers to integers in replies.
BREAKER_SCRIPT = """
local op = ARGV[1]
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'state', 'until', 'lease')
local state = h[1] or 'closed'

local function open_until(t)
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', tostring(t), 'lease', '0')
  redis.call('DEL', KEYS[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end

if op == 'state' then
  return state
elseif op == 'acquire' then
  if state == 'closed' then return {1, 'closed', 0, '0'} end
  if state == 'open' then
    local untl = tonumber(h[2])
    if now < untl then return {0, 'open', 0, tostring(untl - now)} end
  else
    local lease = tonumber(h[3]) or 0
    if now < lease then return {0, 'half_open', 0, tostring(lease - now)} end
  end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'lease', tostring(now + tonumber(ARGV[4])))
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, 'half_open', 1, '0'}
elseif op == 'success' then
  if state == 'closed' then return {'closed', 'closed', redis.call('ZCARD', KEYS[2])} end
  redis.call('DEL', KEYS[1], KEYS[2])
  return {state, 'closed', 0}
elseif op == 'failure' then
  if state == 'open' then return {'open', 'open', 0} end
  local cooldown = tonumber(ARGV[6])
  if state == 'half_open' then
    open_until(now + cooldown)
    return {'half_open', 'open', 0}
  end
  local window = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[2], now, ARGV[7])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[2])
  if count >= tonumber(ARGV[4]) then
    open_until(now + cooldown)
    return {'closed', 'open', count}
  end
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {'closed', 'closed', count}
elseif op == 'cool_down' then
  local untl = now + tonumber(ARGV[4])
  if state == 'open' then untl = math.max(untl, tonumber(h[2])) end
  open_until(untl)
  return {state, 'open', 0}
end
return redis.error_reply('unknown breaker operation ' .. op)
"""


class _RedisBreakerStoreBase:
    """What the sync and async stores share: their settings, keys and script arguments."""

    def __init__(
        self,
        url: str | None,
        client: object | None,
        *,
        prefix: str,
        ttl: float,
        socket_timeout: float,
    ) -> None:
        from netrun.core.deps import require

        require("redis", feature="Circuit breakers shared through Redis", extra="redis")
        if url is None and client is None:
            raise ValueError(f"{type(self).__name__} needs a url or a client")
        self.url = url
        self.prefix = prefix
        self.ttl_ms = int(ttl * 1000)
        self._socket_timeout = socket_timeout

    def _keys(self, key: str) -> list[str]:
        # One hash tag for both keys: Redis Cluster keeps them in the slot the script needs.
        base = f"{self.prefix}{{{key}}}"
        return [base, f"{base}:f"]

    def _args(self, op: str, now: float, *args: object) -> list[object]:
        return [op, repr(now), self.ttl_ms, *args]


class RedisBreakerStore(_RedisBreakerStoreBase):
    """Breaker state in Redis; pass a ``url`` (``redis+cluster://`` for a cluster) or a client.

    ``ttl`` bounds how long an idle breaker's keys live (refreshed by every write); it must
    exceed the longest cooldown, window and probe timeout, and does by default (one hour).
    Timeouts are short: a breaker waiting on Redis would slow every call it guards. Its
    calls block: an event loop uses :class:`AsyncRedisBreakerStore` (the same keys and
    script, so both see one state).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | redis.cluster.RedisCluster | None = None,
        prefix: str = "netrun:llm:cb:",
        ttl: float = 3600.0,
        socket_timeout: float = 0.25,
    ) -> None:
        super().__init__(url, client, prefix=prefix, ttl=ttl, socket_timeout=socket_timeout)
        self._client = client
        self._script: Any = None

    def _call(self, key: str, op: str, now: float, *args: object) -> Any:
        if self._script is None:
            client: Any = self._client or self._connect()
            self._script = client.register_script(BREAKER_SCRIPT)
        return self._script(keys=self._keys(key), args=self._args(op, now, *args))

    def _connect(self) -> redis.Redis | redis.cluster.RedisCluster:
        assert self.url is not None
        self._client = redis_client(self.url, socket_timeout=self._socket_timeout)
        return self._client

    def acquire(self, key: str, *, now: float, probe_timeout: float) -> Admission:
        return _admission(self._call(key, "acquire", now, repr(probe_timeout)))

    def success(self, key: str, *, now: float) -> Transition:
        return _transition(self._call(key, "success", now))

    def failure(
        self, key: str, *, now: float, threshold: int, window: float, cooldown: float
    ) -> Transition:
        return _transition(self._call(key, "failure", now, *_failure(threshold, window, cooldown)))

    def cool_down(self, key: str, *, now: float, seconds: float) -> Transition:
        return _transition(self._call(key, "cool_down", now, repr(seconds)))

    def state(self, key: str, *, now: float) -> BreakerState:
        return _state(self._call(key, "state", now))

    def reset(self) -> None:
        """Forget every breaker under ``prefix`` (tests, or after fixing a provider)."""
        client: Any = self._client or self._connect()
        for name in client.scan_iter(match=f"{self.prefix}*"):
            client.delete(name)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
            self._script = None


class AsyncRedisBreakerStore(_RedisBreakerStoreBase):
    """:class:`RedisBreakerStore` for an event loop, on ``redis.asyncio``: the same script on
    the same keys, so sync and async processes (or a sync and an async client of one process)
    share every breaker.

    With a ``url`` each event loop gets a client of its own (a ``redis.asyncio`` connection
    belongs to the loop that opened it, and ``async_to_sync`` or one test per loop make
    several); a ``client`` given is used as is, from its own loop only.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.asyncio.Redis | redis.asyncio.RedisCluster | None = None,
        prefix: str = "netrun:llm:cb:",
        ttl: float = 3600.0,
        socket_timeout: float = 0.25,
    ) -> None:
        super().__init__(url, client, prefix=prefix, ttl=ttl, socket_timeout=socket_timeout)
        self._fixed_client = client
        self._fixed_script: Any = None
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop,
            tuple[redis.asyncio.Redis | redis.asyncio.RedisCluster, Any],
        ] = weakref.WeakKeyDictionary()

    def _client_and_script(self) -> tuple[Any, Any]:
        """This event loop's client and its script object (a Script is bound to its client)."""
        if self._fixed_client is not None:
            if self._fixed_script is None:
                fixed: Any = self._fixed_client  # stubs bind register_script to Redis
                self._fixed_script = fixed.register_script(BREAKER_SCRIPT)
            return self._fixed_client, self._fixed_script
        assert self.url is not None
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is None:
            client: Any = redis_client(
                self.url, socket_timeout=self._socket_timeout, asynchronous=True
            )
            entry = (client, client.register_script(BREAKER_SCRIPT))
            self._clients[loop] = entry
        return entry

    async def _call(self, key: str, op: str, now: float, *args: object) -> Any:
        _, script = self._client_and_script()
        return await script(keys=self._keys(key), args=self._args(op, now, *args))

    async def acquire(self, key: str, *, now: float, probe_timeout: float) -> Admission:
        return _admission(await self._call(key, "acquire", now, repr(probe_timeout)))

    async def success(self, key: str, *, now: float) -> Transition:
        return _transition(await self._call(key, "success", now))

    async def failure(
        self, key: str, *, now: float, threshold: int, window: float, cooldown: float
    ) -> Transition:
        args = _failure(threshold, window, cooldown)
        return _transition(await self._call(key, "failure", now, *args))

    async def cool_down(self, key: str, *, now: float, seconds: float) -> Transition:
        return _transition(await self._call(key, "cool_down", now, repr(seconds)))

    async def state(self, key: str, *, now: float) -> BreakerState:
        return _state(await self._call(key, "state", now))

    async def reset(self) -> None:
        """Forget every breaker under ``prefix`` (tests, or after fixing a provider)."""
        client, _ = self._client_and_script()
        async for name in client.scan_iter(match=f"{self.prefix}*"):
            await client.delete(name)

    async def aclose(self) -> None:
        """Close this event loop's client (another loop's closes with that loop)."""
        if self._fixed_client is not None:
            return  # the caller's client: the caller closes it
        loop = asyncio.get_running_loop()
        entry = self._clients.pop(loop, None)
        if entry is not None:
            await entry[0].aclose()

    def close(self) -> None:
        """Forget the clients; their connections close with their event loops."""
        self._clients.clear()
        self._fixed_script = None


def _failure(threshold: int, window: float, cooldown: float) -> tuple[object, ...]:
    # A unique member per failure: two failures at the same instant are two failures.
    return (threshold, repr(window), repr(cooldown), uuid.uuid4().hex)


def _state(raw: bytes | str) -> BreakerState:
    text = raw.decode() if isinstance(raw, bytes) else raw
    if text not in ("closed", "open", "half_open"):
        raise ValueError(f"unknown breaker state {text!r}")
    return cast("BreakerState", text)


def _admission(reply: list[Any]) -> Admission:
    allowed, state, probe, retry_in = reply
    return Admission(bool(allowed), _state(state), bool(probe), float(retry_in))


def _transition(reply: list[Any]) -> Transition:
    previous, state, failures = reply
    return Transition(_state(previous), _state(state), int(failures))
