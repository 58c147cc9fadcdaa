"""Netrun logging.

Level 1: structured logging on structlog, with the request context (correlation, tenant,
user and trace IDs from :mod:`netrun.core.context`) and redaction on every event, and the
stdlib loggers (Django, Celery, libraries) sent through the same processors::

    from netrun.logging import get_logger, log_operation

    logger = get_logger(__name__)
    logger.info("order_placed", order_id=order.pk, duration_ms=12.5)

This module imports without Django settings configured. Django glue is referenced by dotted
path: ``netrun.logging.middleware.CorrelationIdMiddleware``; the ASGI middleware is
``netrun.logging.asgi.CorrelationIdASGIMiddleware``, Celery glue ``netrun.logging.celery``,
access-log redaction ``netrun.logging.access`` (gunicorn: ``netrun.logging.gunicorn``) and
test helpers ``netrun.logging.testing``. Without any set-up, the first ``get_logger()`` installs
netrun's chain (redaction included, to ``sys.stderr``): secrets are redacted by default.
"""

from __future__ import annotations

from netrun.logging._config import (
    NetrunBoundLogger,
    configure_logging,
    configure_structlog_for_stdlib,
    get_logger,
    is_configured,
    logging_state,
    reset_logging,
)
from netrun.logging._context import (
    add_netrun_context,
    bind_context,
    clear_context,
    get_context,
    get_correlation_id,
    unbind_context,
)
from netrun.logging._operations import exception_context, log_exception, log_operation
from netrun.logging.redaction import DEFAULT_SENSITIVE_KEYS, Redactor, redact_text

__all__ = [
    "DEFAULT_SENSITIVE_KEYS",
    "NetrunBoundLogger",
    "Redactor",
    "add_netrun_context",
    "bind_context",
    "clear_context",
    "configure_logging",
    "configure_structlog_for_stdlib",
    "exception_context",
    "get_context",
    "get_correlation_id",
    "get_logger",
    "is_configured",
    "log_exception",
    "log_operation",
    "logging_state",
    "redact_text",
    "reset_logging",
    "unbind_context",
]
