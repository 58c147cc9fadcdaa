"""System checks of the policy layer: the price rows, the budget ledger and budget alerts.

Registered by ``netrun.llm``'s ``ready()``; the IDs are listed in :mod:`netrun.llm.checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning

from netrun.llm.conf import checked_config as _config
from netrun.llm.policy.django import settings_prices
from netrun.llm.policy.pricing import ModelPrice, normalize_provider

__all__ = ["PRICED_PROVIDERS", "check_budget_alerts", "check_budget_ledger", "check_prices"]

PRICES_SETTING = "NETRUN_LLM_PRICES"
#: Providers a price row can apply to (the table's names; aliases are normalised first).
#: ``offline`` has no built-in price (it is a stand-in, not a model); a row for it is how a
#: development project with a budget gives its canned answers a price (``$0`` or a demo one).
PRICED_PROVIDERS = frozenset({"openai", "azure_openai", "anthropic", "gemini", "ollama", "offline"})


def check_prices(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E005, E006, E007, W002: the rows of ``NETRUN_LLM_PRICES``."""
    config = _config()
    if config is None:
        return []
    messages: list[CheckMessage] = []
    seen: dict[tuple[str, str, object], int] = {}
    for index, parsed in enumerate(settings_prices(config)):
        row = config.prices[index]
        label = f"{PRICES_SETTING}[{index}]"
        if isinstance(row, dict) and isinstance(row.get("model"), str):
            label += f" ({row.get('provider')}/{row['model']})"
        if not isinstance(parsed, ModelPrice):
            where = f"{label}.{parsed.field}" if parsed.field else label
            messages.append(
                Error(
                    f"{where}: {parsed}; the row is ignored.",
                    hint="Rows are {provider, model, input, output, effective_from} with "
                    "optional cache_read, cache_write and long_context_* keys; prices in USD "
                    'per 1M tokens as strings ("2.50"), dates as "YYYY-MM-DD".',
                    id="netrun.llm.E005" if parsed.problem == "shape" else "netrun.llm.E006",
                )
            )
            continue
        key = (parsed.provider, parsed.model, parsed.effective_from)
        if key in seen:
            messages.append(
                Error(
                    f"{label} prices {parsed.provider}/{parsed.model} from "
                    f"{parsed.effective_from} like {PRICES_SETTING}[{seen[key]}]; the later "
                    "row wins.",
                    hint="Keep one row per provider, model and effective_from.",
                    id="netrun.llm.E007",
                )
            )
        seen.setdefault(key, index)
        if normalize_provider(parsed.provider) not in PRICED_PROVIDERS:
            messages.append(
                Warning(
                    f"{label}.provider {parsed.provider!r} is not a provider netrun calls; "
                    "the row never applies.",
                    hint="Use openai, azure_openai, anthropic, gemini, ollama or offline.",
                    id="netrun.llm.W002",
                )
            )
    return messages


def check_budget_ledger(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E008: ``NETRUN_LLM_BUDGET_LEDGER`` names no ledger."""
    from netrun.llm.policy.ledgers import ledger_setting_problem

    config = _config()
    problem = None if config is None else ledger_setting_problem(config.budget_ledger)
    if problem is None:
        return []
    hint = "Every PolicyEnforcer built without ledger= would fail on its first call."
    return [Error(problem, hint=hint, id="netrun.llm.E008")]


THRESHOLDS_SETTING = "NETRUN_LLM_BUDGET_ALERT_THRESHOLDS"
WEBHOOKS_SETTING = "NETRUN_LLM_BUDGET_WEBHOOKS"
WEBHOOK_SECRET_SETTING = "NETRUN_LLM_BUDGET_WEBHOOK_SECRET"  # noqa: S105 - a setting's name


def _celery_installed() -> bool:
    try:
        import celery  # noqa: F401
    except ImportError:
        return False
    return True


def check_budget_alerts(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E060-E063: alert thresholds and webhooks."""
    from urllib.parse import urlsplit

    from netrun.llm.policy.alerts import threshold_problem

    config = _config()
    if config is None:
        return []
    messages: list[CheckMessage] = []
    problem = threshold_problem(config.budget_alert_thresholds)
    if problem is not None:
        messages.append(
            Error(
                f"{THRESHOLDS_SETTING}: {problem}; no budget alert fires until it is fixed.",
                hint="Percentages of a budget's limit, for example [50, 80, 100].",
                id="netrun.llm.E060",
            )
        )
    for index, url in enumerate(config.budget_webhooks):
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            messages.append(
                Error(
                    f"{WEBHOOKS_SETTING}[{index}] is not an http(s) URL; alerts skip it.",
                    hint='A list of URLs: ["https://hooks.example.com/netrun"].',
                    id="netrun.llm.E061",
                )
            )
    secret = config.budget_webhook_secret
    if config.budget_webhooks and not (secret and secret.get_secret_value()):
        messages.append(
            Error(
                f"{WEBHOOKS_SETTING} is set but {WEBHOOK_SECRET_SETTING} is not: the webhooks' "
                "signature would prove nothing.",
                hint=f"Set {WEBHOOK_SECRET_SETTING} to a long random string shared with the "
                "receivers (from the environment: LLM_BUDGET_WEBHOOK_SECRET).",
                id="netrun.llm.E062",
            )
        )
    if config.budget_webhooks and not _celery_installed():
        messages.append(
            Error(
                f"{WEBHOOKS_SETTING} is set but Celery is not installed: the webhooks are "
                "delivered by a Celery task.",
                hint='pip install "netrun[celery]" and run a worker, or unset the webhooks.',
                id="netrun.llm.E063",
            )
        )
    return messages
