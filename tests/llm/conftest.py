"""Every LLM test starts from empty shared budgets and rate limits.

A ``PolicyEnforcer`` built without ``ledger=`` / ``rate_limit_backend=`` shares the process's
ledger and limiter backend; without this reset one test's spend would count in the next.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netrun.llm.policy import reservation
from netrun.llm.policy.ledgers import reset_default_ledger
from netrun.llm.resilience.config import reset_breaker_stores
from netrun.ratelimit import conf as ratelimit_conf


@pytest.fixture(autouse=True)
def fresh_shared_budgets() -> Iterator[None]:
    reservation._outbox._items.clear()  # a test's broken ledger must not stay pending in the next
    reset_default_ledger()
    reset_breaker_stores()  # a provider a test made fail stays closed for the next test
    ratelimit_conf._backends.clear()
    yield
    reset_breaker_stores()
    reset_default_ledger()
    for backend in ratelimit_conf._backends.values():
        backend.close()
    ratelimit_conf._backends.clear()
    reservation._outbox._items.clear()
