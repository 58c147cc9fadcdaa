"""Redis ledger: one Lua script per operation, so every process sharing the server agrees.

Keys of a tenant share the hash tag ``{tenant}``, so Redis Cluster keeps them in one slot (a
script may only touch keys of one slot). Expiry uses the server's clock (``TIME``), so app
servers with skewed clocks agree on when a reservation is stale. Window counters expire a
while after their period ends: Redis holds the live budget, not the spend history.

Needs ``redis-py`` (``pip install "netrun[redis]"``). Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from netrun.llm.budgets.base import (
    BudgetExhausted,
    BudgetLedger,
    BudgetWindow,
    Period,
    WindowUsage,
)

if TYPE_CHECKING:
    import redis

__all__ = ["RedisLedger"]

# A window hash holds "spent" and "reserved"; the holds hash maps a reservation id to
# "<amount>|<window key>|<window key>..."; the expiry sorted set scores ids by deadline (us).
_SWEEP = """
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function drop(holds, expiry, rid)
  local entry = redis.call('HGET', holds, rid)
  redis.call('HDEL', holds, rid)
  redis.call('ZREM', expiry, rid)
  if not entry then return 0 end
  local amount = nil
  for part in string.gmatch(entry, '[^|]+') do
    if amount == nil then
      amount = tonumber(part)
    else
      redis.call('HINCRBY', part, 'reserved', -amount)
    end
  end
  return 1
end
"""

# KEYS: holds, expiry, window... ARGV: id, amount, ttl_us, window_ttl_s, limit... (-1 = none)
RESERVE_SCRIPT = (
    _SWEEP
    + """
local now = now_us()
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 1, #stale do drop(KEYS[1], KEYS[2], stale[i]) end
local amount = tonumber(ARGV[2])
for i = 3, #KEYS do
  local limit = tonumber(ARGV[i + 2])
  local spent = tonumber(redis.call('HGET', KEYS[i], 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', KEYS[i], 'reserved') or '0')
  if limit >= 0 and spent + reserved + amount > limit then
    return {0, i - 2, spent, reserved}
  end
end
local entry = ARGV[2]
for i = 3, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'reserved', amount)
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[4]))
  entry = entry .. '|' .. KEYS[i]
end
redis.call('HSET', KEYS[1], ARGV[1], entry)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return {1, 0, 0, 0}
"""
)

# KEYS: holds, expiry, window... ARGV: id, actual, window_ttl_s
SETTLE_SCRIPT = (
    _SWEEP
    + """
drop(KEYS[1], KEYS[2], ARGV[1])
for i = 3, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'spent', tonumber(ARGV[2]))
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[3]))
end
return 1
"""
)

# KEYS: holds, expiry. ARGV: id
RELEASE_SCRIPT = _SWEEP + "\nreturn drop(KEYS[1], KEYS[2], ARGV[1])\n"

# Counters outlive their period by this much, so late settlements still find them.
_WINDOW_TTL = {Period.DAY: 3 * 86400, Period.MONTH: 35 * 86400}


class RedisLedger(BudgetLedger):
    """Pass a ``url`` (``redis://127.0.0.1:6379/0``) or a ready ``redis.Redis`` client.

    With a url, at most ``max_connections`` are opened per process; more concurrent callers
    wait up to ``socket_timeout`` seconds for one.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        prefix: str = "netrun:llm:budget:",
        socket_timeout: float = 1.0,
        max_connections: int = 50,
    ) -> None:
        from netrun.core.deps import require

        require("redis", feature="LLM budgets in Redis", extra="redis")
        import redis as redis_module

        if client is None:
            if url is None:
                raise ValueError("RedisLedger needs a url or a client")
            # A blocking pool makes a burst of threads queue for a connection (for up to
            # ``socket_timeout``) instead of failing with "Too many connections".
            pool = redis_module.BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=socket_timeout,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
            )
            client = redis_module.Redis(connection_pool=pool)
        self._client = client
        self.prefix = prefix
        self._reserve: Any = client.register_script(RESERVE_SCRIPT)
        self._settle: Any = client.register_script(SETTLE_SCRIPT)
        self._release: Any = client.register_script(RELEASE_SCRIPT)

    def _base(self, tenant_id: str) -> str:
        return f"{self.prefix}{{{tenant_id}}}"

    def _window_key(self, tenant_id: str, window: BudgetWindow) -> str:
        return f"{self._base(tenant_id)}:{window.key}"

    def _keys(self, tenant_id: str, windows: Sequence[BudgetWindow]) -> list[str]:
        base = self._base(tenant_id)
        return [f"{base}:holds", f"{base}:expiry"] + [
            self._window_key(tenant_id, window) for window in windows
        ]

    @staticmethod
    def _window_ttl(windows: Sequence[BudgetWindow]) -> int:
        return max((_WINDOW_TTL[window.period] for window in windows), default=86400)

    def reserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None:
        limits = [-1 if window.limit is None else window.limit for window in windows]
        reply = self._reserve(
            keys=self._keys(tenant_id, windows),
            args=[
                reservation_id,
                amount,
                round(ttl * 1_000_000),
                self._window_ttl(windows),
                *limits,
            ],
        )
        admitted, index, spent, reserved = (int(value) for value in reply)
        if not admitted:
            raise BudgetExhausted(windows[index - 1], WindowUsage(spent, reserved))

    def settle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None:
        self._settle(
            keys=self._keys(tenant_id, windows),
            args=[reservation_id, actual, self._window_ttl(windows)],
        )

    def release(self, tenant_id: str, reservation_id: str) -> None:
        self._release(keys=self._keys(tenant_id, ()), args=[reservation_id])

    def usage(self, tenant_id: str, window: BudgetWindow) -> WindowUsage:
        spent, reserved = self._client.hmget(
            self._window_key(tenant_id, window), ["spent", "reserved"]
        )
        return WindowUsage(int(spent or 0), int(reserved or 0))

    def close(self) -> None:
        self._client.close()
