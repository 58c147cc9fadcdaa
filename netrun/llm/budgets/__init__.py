"""Budget ledgers: where LLM budget reservations and spend live.

* :class:`MemoryLedger` - one process, thread-safe (the default).
* :class:`~netrun.llm.budgets.redis.RedisLedger` - every process sharing a Redis server.
* :class:`~netrun.llm.budgets.sql.SQLLedger` - PostgreSQL through psycopg, framework-neutral.
* :class:`~netrun.llm.budgets.django.DjangoLedger` - the Django ORM on any database.

The Redis, SQL and Django ledgers import their drivers only when built, so this package
imports without them (and without Django).
"""

from __future__ import annotations

from netrun.llm.budgets.base import (
    BudgetExhausted,
    BudgetLedger,
    BudgetWindow,
    Period,
    WindowUsage,
    from_micros,
    to_micros,
    windows_for,
)
from netrun.llm.budgets.memory import MemoryLedger

__all__ = [
    "BudgetExhausted",
    "BudgetLedger",
    "BudgetWindow",
    "MemoryLedger",
    "Period",
    "WindowUsage",
    "from_micros",
    "to_micros",
    "windows_for",
]
