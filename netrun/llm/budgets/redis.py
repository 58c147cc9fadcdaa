"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.ledgers.redis` now."""

from __future__ import annotations

from netrun.llm.policy.ledgers.redis import (
    CLUSTER_SCHEME,
    RedisLedger,
    ReplicationError,
)

__all__ = [
    "CLUSTER_SCHEME",
    "RedisLedger",
    "ReplicationError",
]
