"""A redis-server of the test's own (``own_redis``), for the breaker's outage test: killed
and restarted by the test, never the shared one."""

from __future__ import annotations

from tests.faults.conftest import own_redis

__all__ = ["own_redis"]
