"""Redis ledger: one Lua script per operation, so every process sharing the server agrees.

Keys of a tenant share the hash tag ``{tenant}``, so Redis Cluster keeps them in one slot (a
script may only touch keys of one slot): the windows of a user, an API key or a tag of the
tenant too, so one script checks and holds every scope of a call at once, all or nothing. Expiry uses the server's clock (``TIME``), so app
servers with skewed clocks agree on when a reservation is stale. Window counters expire a
while after their period ends: Redis holds the live budget, not the spend history.

Redis replicates asynchronously: after a failover, the new primary lacks the writes the old
one had not yet sent, so a hold or a settled cost acknowledged a moment before can vanish and
its budget be spent again. ``wait_replicas=N`` closes that gap: every script is followed by
``WAIT N`` on the same connection, and an operation that fewer than ``N`` replicas confirmed
raises :class:`ReplicationError` (a reserve is then refused by the enforcer, a settle retried
and kept in its outbox), so nothing is acknowledged that a promoted replica could lack.

Needs ``redis-py`` (``pip install "netrun[redis]"``). Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from netrun.core.redis_url import CLUSTER_SCHEME, cluster_url
from netrun.errors import ServiceUnavailableError
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    Period,
    ReservationRefused,
    WindowUsage,
)

if TYPE_CHECKING:
    import redis
    import redis.cluster

__all__ = ["CLUSTER_SCHEME", "RedisLedger", "ReplicationError"]


class ReplicationError(ServiceUnavailableError):
    """Fewer replicas than ``wait_replicas`` confirmed a ledger write in time (a 503)."""

    error_code = "LLM_LEDGER_NOT_REPLICATED"
    default_message = "The budget ledger could not confirm the write on its replicas."


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
_WINDOW_TTL = {Period.DAY: 3 * 86400, Period.WEEK: 10 * 86400, Period.MONTH: 35 * 86400}


def _ttl(window: BudgetWindow) -> int:
    if window.period is Period.HOURS:
        return (window.hours or 1) * 3600 + 2 * 86400
    return _WINDOW_TTL[window.period]


class RedisLedger(BudgetLedger):
    """Pass a ``url`` (``redis://127.0.0.1:6379/0``, ``redis+cluster://host:port`` for Redis
    Cluster) or a ready client: ``redis.Redis``, ``redis.cluster.RedisCluster``, or the
    ``Sentinel(...).master_for(name)`` client behind Sentinel.

    With a url, at most ``max_connections`` are opened per process (per node on a cluster);
    more concurrent callers wait up to ``socket_timeout`` seconds for one. ``wait_replicas``
    (with ``replica_timeout`` seconds) makes every write wait for that many replicas; it
    needs a single primary (a Sentinel-managed one), not a cluster client.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | redis.cluster.RedisCluster | None = None,
        prefix: str = "netrun:llm:budget:",
        socket_timeout: float = 1.0,
        max_connections: int = 50,
        wait_replicas: int = 0,
        replica_timeout: float = 1.0,
    ) -> None:
        from netrun.core.deps import require

        require("redis", feature="LLM budgets in Redis", extra="redis")
        import redis as redis_module

        if client is None:
            if url is None:
                raise ValueError("RedisLedger needs a url or a client")
            # A blocking pool makes a burst of threads queue for a connection (for up to
            # ``socket_timeout``) instead of failing with "Too many connections".
            options: dict[str, Any] = {
                "max_connections": max_connections,
                "timeout": socket_timeout,
                "socket_timeout": socket_timeout,
                "socket_connect_timeout": socket_timeout,
            }
            plain = cluster_url(url)
            if plain is not None:
                import redis.cluster

                client = redis.cluster.RedisCluster.from_url(
                    plain, connection_pool_class=redis_module.BlockingConnectionPool, **options
                )
            else:
                pool = redis_module.BlockingConnectionPool.from_url(url, **options)
                client = redis_module.Redis(connection_pool=pool)
        if wait_replicas < 0:
            raise ValueError(f"wait_replicas must be >= 0, got {wait_replicas}")
        if wait_replicas and not isinstance(client, redis_module.Redis):
            # WAIT counts the replicas of the connection's own server; a cluster client
            # would send it to an arbitrary node, not the one that ran the script.
            raise ValueError("wait_replicas needs a single-primary client, not a cluster client")
        self.wait_replicas = wait_replicas
        self.replica_timeout = replica_timeout
        self._client = client
        self.prefix = prefix
        # Typed loosely: redis-py's stubs bind register_script to Redis, not RedisCluster.
        scripts: Any = client
        self._reserve: Any = scripts.register_script(RESERVE_SCRIPT)
        self._settle: Any = scripts.register_script(SETTLE_SCRIPT)
        self._release: Any = scripts.register_script(RELEASE_SCRIPT)

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
        return max((_ttl(window) for window in windows), default=86400)

    def _run(self, script: Any, *, keys: list[str], args: list[Any]) -> Any:
        """Run ``script``; with ``wait_replicas``, then ``WAIT`` on the same connection (a
        pipeline of the two: WAIT counts the writes of its own connection)."""
        if not self.wait_replicas:
            return script(keys=keys, args=args)
        pipe = self._client.pipeline(transaction=False)
        script(keys=keys, args=args, client=pipe)
        pipe.wait(self.wait_replicas, max(1, round(self.replica_timeout * 1000)))
        reply, confirmed = pipe.execute()
        if int(confirmed) < self.wait_replicas:
            raise ReplicationError(
                f"{confirmed} of {self.wait_replicas} replica(s) confirmed the ledger write "
                f"within {self.replica_timeout}s"
            )
        return reply

    def reserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None:
        limits = [-1 if window.limit is None else window.limit for window in windows]
        reply = self._run(
            self._reserve,
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
            raise ReservationRefused(windows[index - 1], WindowUsage(spent, reserved))

    def settle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None:
        self._run(
            self._settle,
            keys=self._keys(tenant_id, windows),
            args=[reservation_id, actual, self._window_ttl(windows)],
        )

    def release(self, tenant_id: str, reservation_id: str) -> None:
        self._run(self._release, keys=self._keys(tenant_id, ()), args=[reservation_id])

    def usage(self, tenant_id: str, window: BudgetWindow) -> WindowUsage:
        client: Any = self._client  # the stubs type hmget as sync-or-async
        spent, reserved = client.hmget(self._window_key(tenant_id, window), ["spent", "reserved"])
        return WindowUsage(int(spent or 0), int(reserved or 0))

    def close(self) -> None:
        self._client.close()
