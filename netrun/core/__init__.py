"""Netrun core.

Level 0 of the suite: the request-scoped context (correlation, tenant, user and trace IDs)
every other package reads, soft-dependency detection, and the ``netrun doctor`` report.

This module imports without Django settings configured (and without Django installed);
the Django glue (``netrun.core.views``, the ``netrun_doctor`` command) is referenced by
dotted path.
"""

from __future__ import annotations

from netrun.core._deprecation import deprecated_aliases
from netrun.core._version import __version__
from netrun.core.context import (
    TraceContext,
    bind,
    capture,
    correlation_context,
    current_correlation_id,
    current_tenant_id,
    current_trace_context,
    current_user_id,
    get_or_create_correlation_id,
    new_correlation_id,
    restore,
    tenant_context,
    trace_context,
    user_context,
)
from netrun.core.deps import MissingDependencyError, is_available, require

__all__ = [
    "MissingDependencyError",
    "TraceContext",
    "__version__",
    "bind",
    "capture",
    "correlation_context",
    "current_correlation_id",
    "current_tenant_id",
    "current_trace_context",
    "current_user_id",
    "deprecated_aliases",
    "get_or_create_correlation_id",
    "is_available",
    "new_correlation_id",
    "require",
    "restore",
    "tenant_context",
    "trace_context",
    "user_context",
]
