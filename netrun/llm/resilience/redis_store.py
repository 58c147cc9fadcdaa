"""Circuit-breaker state in Redis, shared by every process that uses the same server.

Each operation is one Lua script call, so two processes can never both take the probe of a
half-open breaker, and a failure counted by one is seen by all. A breaker is two keys with
one hash tag (``netrun:llm:cb:{openai:gpt-4.1}`` and ``...:f``), so the script works on Redis
Cluster (``redis+cluster://`` urls). Times come from the breaker's clock (ARGV), not Redis's
``TIME``, so tests can drive them; keys expire on their own once nothing refreshes them.

Needs ``redis-py`` (``pip install "netrun[redis]"``). Framework-neutral: no Django import.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from netrun.core.redis_url import redis_client
from netrun.llm.resilience.breaker import Admission, BreakerState, Transition

if TYPE_CHECKING:
    import redis
    import redis.cluster

__all__ = ["BREAKER_SCRIPT", "RedisBreakerStore"]

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


class RedisBreakerStore:
    """Breaker state in Redis; pass a ``url`` (``redis+cluster://`` for a cluster) or a client.

    ``ttl`` bounds how long an idle breaker's keys live (refreshed by every write); it must
    exceed the longest cooldown, window and probe timeout, and does by default (one hour).
    Timeouts are short: a breaker waiting on Redis would slow every call it guards.
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
        from netrun.core.deps import require

        require("redis", feature="Circuit breakers shared through Redis", extra="redis")
        if url is None and client is None:
            raise ValueError("RedisBreakerStore needs a url or a client")
        self.url = url
        self.prefix = prefix
        self.ttl_ms = int(ttl * 1000)
        self._socket_timeout = socket_timeout
        self._client = client
        self._script: Any = None

    def _call(self, key: str, op: str, now: float, *args: object) -> Any:
        if self._script is None:
            client: Any = self._client or self._connect()
            self._script = client.register_script(BREAKER_SCRIPT)
        # One hash tag for both keys: Redis Cluster keeps them in the slot the script needs.
        base = f"{self.prefix}{{{key}}}"
        return self._script(keys=[base, f"{base}:f"], args=[op, repr(now), self.ttl_ms, *args])

    def _connect(self) -> redis.Redis | redis.cluster.RedisCluster:
        assert self.url is not None
        self._client = redis_client(self.url, socket_timeout=self._socket_timeout)
        return self._client

    def acquire(self, key: str, *, now: float, probe_timeout: float) -> Admission:
        allowed, state, probe, retry_in = self._call(key, "acquire", now, repr(probe_timeout))
        return Admission(bool(allowed), _state(state), bool(probe), float(retry_in))

    def success(self, key: str, *, now: float) -> Transition:
        return _transition(self._call(key, "success", now))

    def failure(
        self, key: str, *, now: float, threshold: int, window: float, cooldown: float
    ) -> Transition:
        token = uuid.uuid4().hex
        reply = self._call(key, "failure", now, threshold, repr(window), repr(cooldown), token)
        return _transition(reply)

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


def _state(raw: bytes | str) -> BreakerState:
    text = raw.decode() if isinstance(raw, bytes) else raw
    if text not in ("closed", "open", "half_open"):
        raise ValueError(f"unknown breaker state {text!r}")
    return cast("BreakerState", text)


def _transition(reply: list[Any]) -> Transition:
    previous, state, failures = reply
    return Transition(_state(previous), _state(state), int(failures))
