"""Apply the ``NETRUN_LOGGING_*`` settings: what ``ready()`` does, and again on change.

Never raises for a bad value: the system checks (``netrun.logging.E001``...) report it, and
logging stays as it was.
"""

from __future__ import annotations

import logging

import structlog

from netrun.core.deps import is_available
from netrun.logging._config import (
    configure_logging,
    configure_structlog_for_stdlib,
    logging_state,
    owns_structlog,
    parse_level,
)
from netrun.logging._context import set_process_correlation_id
from netrun.logging.conf import conf

__all__ = ["reconfigure_on_change", "setup_from_settings", "take_over_django_loggers"]


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
        take_over_django_loggers()
    elif not structlog.is_configured() or owns_structlog():
        # LOGGING stays in charge; structlog events still get context and redaction (this
        # replaces netrun's closed default too). A structlog configuration the project made
        # itself is left alone.
        configure_structlog_for_stdlib(
            app_name=conf.app_name,
            environment=conf.environment,
            extra_sensitive_keys=extra_keys,
        )
    if not conf.configure:
        _give_back_django_loggers()
    set_process_correlation_id("" if conf.process_correlation_id else None)
    if conf.celery and is_available("celery"):
        from netrun.logging.celery import connect_signals

        connect_signals()


def reconfigure_on_change(setting: str, **kwargs: object) -> None:
    """``setting_changed`` receiver (connected in ``ready()``): a ``NETRUN_LOGGING_*`` change
    configures logging again. Django 6.1 configures logging again when ``LOGGING`` or
    ``LOGGING_CONFIG`` changes (its own receiver, connected before this one), which gives
    its console handlers back: netrun takes them over again."""
    if setting.startswith("NETRUN_LOGGING_"):
        setup_from_settings()
    elif setting in ("LOGGING", "LOGGING_CONFIG"):
        take_over_django_loggers()


# What _take_over_django_loggers() changed, so turning NETRUN_LOGGING_CONFIGURE off (as
# override_settings does) gives Django its console output back.
_removed_handlers: list[tuple[logging.Logger, logging.Handler]] = []
_propagating: list[logging.Logger] = []


def _is_django_default_handler(handler: logging.Handler) -> bool:
    from django.utils.log import RequireDebugTrue, ServerFormatter

    if type(handler) is not logging.StreamHandler:
        return False
    # DEFAULT_LOGGING's "console" (django, under DEBUG) and "django.server" (runserver).
    return any(isinstance(item, RequireDebugTrue) for item in handler.filters) or isinstance(
        handler.formatter, ServerFormatter
    )


def take_over_django_loggers() -> None:
    """Remove the console handlers of Django's ``DEFAULT_LOGGING`` from ``django`` and
    ``django.server`` while netrun owns the output (``NETRUN_LOGGING_CONFIGURE``): netrun's
    root handler renders their records, so they would otherwise print twice (plain and
    JSON), and runserver's access lines would never reach netrun at all.

    Loggers that the project's ``LOGGING`` configures are its own and stay as they are; with
    ``LOGGING_CONFIG = None`` Django installs nothing and there is nothing to remove.
    Idempotent. ``ready()`` calls it, and so does ``CorrelationIdMiddleware`` when the
    handler is built: ``get_wsgi_application()`` runs ``django.setup()`` again, which
    installs Django's default handlers again (runserver does that after ``ready()``).
    """
    from django.conf import settings

    if not conf.configure or logging_state()["mode"] != "netrun":
        return

    logging_setting = getattr(settings, "LOGGING", None)
    loggers = logging_setting.get("loggers", {}) if isinstance(logging_setting, dict) else {}
    for name in ("django", "django.server"):
        if name in loggers:
            continue
        logger = logging.getLogger(name)
        defaults = [handler for handler in logger.handlers if _is_django_default_handler(handler)]
        if defaults:
            # A new django.setup() made new ones: those removed before are gone for good.
            _removed_handlers[:] = [item for item in _removed_handlers if item[0] is not logger]
        for handler in defaults:
            logger.removeHandler(handler)
            _removed_handlers.append((logger, handler))
        if defaults and not logger.propagate:  # django.server: its records reach the root
            logger.propagate = True
            _propagating.append(logger)


def _give_back_django_loggers() -> None:
    while _removed_handlers:
        logger, handler = _removed_handlers.pop()
        logger.addHandler(handler)
    while _propagating:
        _propagating.pop().propagate = False
