"""The ledger every :class:`~netrun.llm.policy.PolicyEnforcer` shares unless given one.

An enforcer is cheap and often built per request; its budget must not be. The ledger is
built once per distinct ``budget_ledger`` setting (``NETRUN_LLM_BUDGET_LEDGER`` /
``LLM_BUDGET_LEDGER``) and shared by every enforcer of the process, so tenants' budgets hold
across them (the ledgers key everything by tenant).

Framework-neutral: no Django import here (``django`` loads the Django ledger lazily).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from netrun.llm.policy.ledgers.base import BudgetLedger
from netrun.llm.policy.ledgers.memory import MemoryLedger

__all__ = ["build_ledger", "default_ledger", "ledger_setting_problem", "reset_default_ledger"]

_SETTING = "NETRUN_LLM_BUDGET_LEDGER (LLM_BUDGET_LEDGER)"
_KINDS = "memory, a redis:// URL, a postgresql:// DSN, django[:alias] or a dotted path"
_ledgers: dict[str, BudgetLedger] = {}
_lock = threading.Lock()


def _import(path: str) -> Callable[[], Any]:
    module_name, _, attribute = path.rpartition(".")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise ImportError(f"{_SETTING} {path!r} cannot be imported: {error}") from error
    if not callable(factory):
        raise TypeError(f"{_SETTING} {path!r} is not a ledger class or factory")
    return factory  # type: ignore[no-any-return]


def _kind(value: str) -> str:
    scheme = value.partition(":")[0].lower()
    if value.lower() == "memory":
        return "memory"
    if scheme in ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster"):
        return "redis"
    if scheme in ("postgres", "postgresql"):
        return "sql"
    if scheme == "django":
        return "django"
    if "." in value and "/" not in value:
        return "path"
    raise ValueError(f"{_SETTING} {value!r} is not {_KINDS}")


def ledger_setting_problem(spec: str) -> str | None:
    """What is wrong with a ``budget_ledger`` value, without connecting anywhere; or None."""
    try:
        if _kind(spec.strip()) == "path":
            _import(spec.strip())
    except (ValueError, ImportError, TypeError) as error:
        return str(error)
    return None


def build_ledger(spec: str) -> BudgetLedger:
    """A new ledger for a ``budget_ledger`` value; errors name the setting."""
    value = spec.strip()
    kind = _kind(value)
    ledger: Any
    if kind == "memory":
        ledger = MemoryLedger()
    elif kind == "redis":
        from netrun.llm.policy.ledgers.redis import RedisLedger

        ledger = RedisLedger(value)
    elif kind == "sql":
        from netrun.llm.policy.ledgers.sql import SQLLedger

        ledger = SQLLedger(value)
    elif kind == "django":
        from netrun.llm.policy.ledgers.django import DjangoLedger

        ledger = DjangoLedger(value.partition(":")[2] or "default")
    else:
        ledger = _import(value)()
    if not isinstance(ledger, BudgetLedger):
        raise TypeError(f"{_SETTING} {spec!r} built a {type(ledger).__name__}, not a BudgetLedger")
    return ledger


def default_ledger() -> BudgetLedger:
    """The process's ledger for the current setting, built on first use."""
    from netrun.llm.conf import conf

    spec = conf.budget_ledger
    with _lock:
        ledger = _ledgers.get(spec)
        if ledger is None:
            ledger = _ledgers[spec] = build_ledger(spec)
        return ledger


def reset_default_ledger() -> None:
    """Forget (and close) the shared ledgers: tests, or a process that forked."""
    with _lock:
        ledgers = list(_ledgers.values())
        _ledgers.clear()
    for ledger in ledgers:
        ledger.close()
