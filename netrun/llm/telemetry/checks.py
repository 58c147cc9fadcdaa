"""System checks of telemetry: the metrics view's token and the Prometheus labels' bound.

Registered by ``netrun.llm``'s ``ready()``; the IDs are listed in :mod:`netrun.llm.checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from netrun.llm.conf import checked_config as _config

__all__ = ["METRICS_VIEW_MARKER", "check_metrics_token", "check_metrics_top_n", "metrics_token"]

#: The attribute that marks a metrics view (``netrun.llm.telemetry.views``) in the URLconf.
METRICS_VIEW_MARKER = "netrun_llm_metrics_view"
METRICS_TOKEN_SETTING = "NETRUN_LLM_METRICS_TOKEN"  # noqa: S105 - a setting's name


def metrics_token() -> str | None:
    """``NETRUN_LLM_METRICS_TOKEN``, ``None`` when unset or empty (or the settings are invalid)."""
    config = _config()
    token = config.metrics_token if config is not None else None
    return (token.get_secret_value() if token is not None else "") or None


def _routes_metrics(patterns: Sequence[Any]) -> bool:
    for pattern in patterns:
        nested = getattr(pattern, "url_patterns", None)
        if nested is not None:
            if _routes_metrics(nested):
                return True
        elif getattr(getattr(pattern, "callback", None), METRICS_VIEW_MARKER, False):
            return True
    return False


def check_metrics_token(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W004: the metrics view routed in production without a token."""
    if settings.DEBUG or metrics_token() is not None:
        return []
    from django.urls import get_resolver

    try:
        routed = _routes_metrics(get_resolver().url_patterns)
    except Exception:
        # A broken URLconf is Django's own urls.E checks to report.
        return []
    if not routed:
        return []
    return [
        Warning(
            f"The LLM metrics view is routed while DEBUG is off and {METRICS_TOKEN_SETTING} is "
            "not set: it answers only logged-in staff, so Prometheus cannot scrape it.",
            hint=f"Set {METRICS_TOKEN_SETTING} and give the scraper the same bearer token "
            "(Prometheus: authorization.credentials), or remove the route.",
            id="netrun.llm.W004",
        )
    ]


METRICS_TOP_N_SETTING = "NETRUN_LLM_METRICS_TOP_N"


def check_metrics_top_n(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E030: ``NETRUN_LLM_METRICS_TOP_N`` outside 1..100."""
    from netrun.llm.telemetry.records import MAX_TOP_N

    config = _config()
    if config is None or 1 <= config.metrics_top_n <= MAX_TOP_N:
        return []
    return [
        Error(
            f"{METRICS_TOP_N_SETTING} is {config.metrics_top_n}: the Prometheus sink labels "
            f"between 1 and {MAX_TOP_N} users, API keys and tags per scope.",
            hint=f"Set {METRICS_TOP_N_SETTING} to a number from 1 to {MAX_TOP_N} (default 10); "
            "the other values are counted under the label 'other'.",
            id="netrun.llm.E030",
        )
    ]
