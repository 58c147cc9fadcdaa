"""Budget ledgers: where LLM budget reservations and spend live.

* :class:`MemoryLedger` - one process, thread-safe (the default).
* :class:`~netrun.llm.policy.ledgers.redis.RedisLedger` - every process sharing a Redis server.
* :class:`~netrun.llm.policy.ledgers.sql.SQLLedger` - PostgreSQL through psycopg, framework-neutral.
* :class:`~netrun.llm.policy.ledgers.django.DjangoLedger` - the Django ORM on any database.

:func:`default_ledger` is the one every :class:`~netrun.llm.policy.PolicyEnforcer`
built without ``ledger=`` shares: the process's ``MemoryLedger``, or the Redis, PostgreSQL
or Django ledger the ``budget_ledger`` setting (``NETRUN_LLM_BUDGET_LEDGER``) names.

The Redis, SQL and Django ledgers import their drivers only when built, so this package
imports without them (and without Django).
"""

from __future__ import annotations

from netrun.llm.policy.ledgers._default import (
    build_ledger,
    default_ledger,
    ledger_setting_problem,
    reset_default_ledger,
)
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    Period,
    ReservationRefused,
    WindowUsage,
    from_micros,
    to_micros,
    windows_for,
)
from netrun.llm.policy.ledgers.memory import MemoryLedger

__all__ = [
    "BudgetLedger",
    "BudgetWindow",
    "MemoryLedger",
    "Period",
    "ReservationRefused",
    "WindowUsage",
    "build_ledger",
    "default_ledger",
    "from_micros",
    "ledger_setting_problem",
    "reset_default_ledger",
    "to_micros",
    "windows_for",
]
