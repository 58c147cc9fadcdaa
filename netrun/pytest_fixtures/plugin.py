"""The Netrun pytest plugin, loaded through the ``pytest11`` entry point.

Safe to auto-load in any project: no autouse fixtures, every fixture named ``netrun_*``, and
nothing imported at load time beyond pytest: Netrun and Django modules are imported inside the
fixtures, so loading the plugin never configures anything (and coverage, which starts after
entry-point plugins load, still sees those modules imported).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

__all__ = ["netrun_correlation_id", "netrun_tenant_id"]


@pytest.fixture
def netrun_correlation_id() -> Iterator[str]:
    """A fixed correlation ID bound for the test; the value is what the test receives."""
    from netrun.core.context import correlation_context

    with correlation_context("test-correlation-id-0001") as correlation_id:
        yield correlation_id


@pytest.fixture
def netrun_tenant_id() -> Iterator[str]:
    """A tenant ID bound as the current tenant for the test (override to choose another)."""
    from netrun.core.context import tenant_context

    with tenant_context("00000000-0000-4000-8000-00000000a001") as tenant_id:
        assert tenant_id is not None
        yield tenant_id
