"""Apply the ``NETRUN_LOGGING_*`` settings: what ``ready()`` does, and again on change.

Never raises for a bad value: the system checks (``netrun.logging.E001``...) report it, and
logging stays as it was.
"""

from __future__ import annotations

import structlog

from netrun.core.deps import is_available
from netrun.logging._config import (
    configure_logging,
    configure_structlog_for_stdlib,
    owns_structlog,
    parse_level,
)
from netrun.logging._context import set_process_correlation_id
from netrun.logging.conf import conf

__all__ = ["reconfigure_on_change", "setup_from_settings"]


def setup_from_settings() -> None:
    """Configure logging, the per-process correlation ID and the Celery signals from settings."""
    keys = conf.sensitive_keys
    # Bad entries are netrun.logging.E002's to report; ready() runs before the checks.
    extra_keys = (
        [key for key in keys if isinstance(key, str)] if isinstance(keys, (list, tuple)) else []
    )
    if conf.configure:
        try:
            level = parse_level(conf.level)
        except (ValueError, AttributeError):
            return  # netrun.logging.E001 reports it
        configure_logging(
            app_name=conf.app_name,
            environment=conf.environment,
            enable_json=conf.json,
            log_level=level,
            extra_sensitive_keys=extra_keys,
        )
    elif not structlog.is_configured() or owns_structlog():
        # LOGGING stays in charge; structlog events still get context and redaction (this
        # replaces netrun's closed default too). A structlog configuration the project made
        # itself is left alone.
        configure_structlog_for_stdlib(
            app_name=conf.app_name,
            environment=conf.environment,
            extra_sensitive_keys=extra_keys,
        )
    set_process_correlation_id("" if conf.process_correlation_id else None)
    if conf.celery and is_available("celery"):
        from netrun.logging.celery import connect_signals

        connect_signals()


def reconfigure_on_change(setting: str, **kwargs: object) -> None:
    """``setting_changed`` receiver (connected in ``ready()``): a ``NETRUN_LOGGING_*`` change
    configures logging again."""
    if setting.startswith("NETRUN_LOGGING_"):
        setup_from_settings()
