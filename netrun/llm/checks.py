"""System checks of ``netrun.llm``, registered in ``ready()``: the adapters and the chain here,
the policy layer's in :mod:`netrun.llm.policy.checks`, telemetry's in
:mod:`netrun.llm.telemetry.checks`, resilience's in :mod:`netrun.llm.resilience.checks`; every
ID is listed here and each function is importable from this module.

=====================  ==========================================================================
ID                     Reported when
=====================  ==========================================================================
``netrun.llm.E001``    the offline development provider is in ``NETRUN_LLM_PROVIDER_CHAIN`` or is
                       ``NETRUN_LLM_LOCAL_PROVIDER`` while ``DEBUG`` is off: users would get
                       canned answers
``netrun.llm.E002``    ``NETRUN_LLM_PROVIDER_CHAIN`` names an unknown provider
``netrun.llm.E003``    ``NETRUN_LLM_PROVIDER_CHAIN`` is empty
``netrun.llm.E004``    ``NETRUN_LLM_LOCAL_PROVIDER`` is neither ``ollama``, ``offline`` nor empty
``netrun.llm.E005``    a ``NETRUN_LLM_PRICES`` row is not a mapping, misses a required key
                       (provider, model, input, output, effective_from) or has an unknown one
``netrun.llm.E006``    a ``NETRUN_LLM_PRICES`` value is invalid: a price that is not a
                       non-negative number (or is a float), a date that is not YYYY-MM-DD, a
                       threshold that is not a positive int, a long-context price without one
``netrun.llm.E007``    two ``NETRUN_LLM_PRICES`` rows price the same provider, model and date
``netrun.llm.E008``    ``NETRUN_LLM_BUDGET_LEDGER`` is not memory, a Redis URL, a PostgreSQL DSN,
                       ``django[:alias]`` or an importable ledger factory
``netrun.llm.E009``    ``NETRUN_LLM_BREAKER_STORE`` is not memory, a Redis URL or off
``netrun.llm.E010``    a ``NETRUN_LLM_MODEL_ALIASES`` entry is an empty group or holds a blank
                       model, or a ``NETRUN_LLM_CONTEXT_FALLBACKS`` entry maps a model to
                       itself or to a blank name
``netrun.llm.E060``    ``NETRUN_LLM_BUDGET_ALERT_THRESHOLDS`` is not a list of whole percentages
                       from 1 to 1000; no alert fires until it is fixed
``netrun.llm.E061``    a ``NETRUN_LLM_BUDGET_WEBHOOKS`` entry is not an http(s) URL
``netrun.llm.E062``    ``NETRUN_LLM_BUDGET_WEBHOOKS`` is set and ``NETRUN_LLM_BUDGET_WEBHOOK_SECRET``
                       is not: receivers could not tell an alert from a forgery
``netrun.llm.E063``    ``NETRUN_LLM_BUDGET_WEBHOOKS`` is set and Celery is not installed: the
                       webhooks are delivered by a Celery task
``netrun.llm.W001``    a provider in a chain the project set lacks its key, endpoint or
                       deployment; the client leaves it out of the chain (the seeds' default
                       chain, left unset, skips keyless providers silently: that is how a
                       fresh project falls through to Ollama)
``netrun.llm.W002``    a ``NETRUN_LLM_PRICES`` row names a provider no adapter uses (a typo
                       would leave the row unused)
``netrun.llm.W003``    a provider in ``NETRUN_LLM_PROVIDER_CHAIN`` (or the local provider)
                       needs an SDK that is not installed (``openai``, ``anthropic``, ``httpx``
                       for Ollama); the client skips it and the chain goes on
``netrun.llm.W004``    the metrics view is routed while ``DEBUG`` is off and
                       ``NETRUN_LLM_METRICS_TOKEN`` is not set: the view stays closed (staff
                       sessions only), so Prometheus cannot scrape it
``netrun.llm.W005``    a ``NETRUN_LLM_MODEL_ALIASES`` or ``NETRUN_LLM_CONTEXT_FALLBACKS`` entry
                       names a provider not in ``NETRUN_LLM_PROVIDER_CHAIN``: the client
                       skips it
``netrun.llm.W006``    an enabled model alias of the admin (``ModelAlias``) names an unknown
                       provider, a malformed model, or a provider not in the chain (a database
                       check: ``check --database default``, and ``migrate``)
``netrun.llm.E030``    ``NETRUN_LLM_METRICS_TOP_N`` is not between 1 and 100: the Prometheus
                       sink's labels by user, API key and tag would be none or unbounded
=====================  ==========================================================================

A row in error is left out of pricing; the rest of the table still applies.

Settings that do not validate at all are ``netrun.config.E007``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from netrun.config import Source
from netrun.llm.adapters import ADAPTER_CLASSES, LOCAL_PROVIDERS, canonical_provider
from netrun.llm.conf import CHAIN_SETTING, LLMConfig
from netrun.llm.conf import checked_config as _config
from netrun.llm.policy.checks import check_budget_alerts, check_budget_ledger, check_prices
from netrun.llm.resilience.checks import check_model_aliases, check_resilience
from netrun.llm.telemetry.checks import (
    METRICS_VIEW_MARKER,
    check_metrics_token,
    check_metrics_top_n,
    metrics_token,
)

__all__ = [
    "METRICS_VIEW_MARKER",
    "check_budget_alerts",
    "check_budget_ledger",
    "check_chain",
    "check_metrics_token",
    "check_metrics_top_n",
    "check_model_aliases",
    "check_offline_provider",
    "check_prices",
    "check_resilience",
    "metrics_token",
    "missing_settings",
]

LOCAL_SETTING = "NETRUN_LLM_LOCAL_PROVIDER"


def missing_settings(provider: str, config: LLMConfig) -> list[str]:
    """The environment variables ``provider`` needs and does not have."""
    needs: dict[str, list[tuple[object, str]]] = {
        "anthropic": [(config.anthropic_api_key, "ANTHROPIC_API_KEY")],
        "openai": [(config.openai_api_key, "OPENAI_API_KEY")],
        "gemini": [(config.gemini_api_key, "GEMINI_API_KEY")],
        "azure_openai": [
            (config.azure_openai_endpoint, "AZURE_OPENAI_ENDPOINT"),
            (config.azure_openai_key, "AZURE_OPENAI_API_KEY"),
            (config.azure_openai_deployment, "LLM_AZURE_OPENAI_DEPLOYMENT"),
        ],
    }
    return [variable for value, variable in needs.get(provider, []) if not value]


def check_offline_provider(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E001: the offline provider outside development."""
    config = _config()
    if config is None or settings.DEBUG:
        return []
    chain = {canonical_provider(name) for name in config.chain}
    where = [
        setting
        for setting, used in (
            (CHAIN_SETTING, "offline" in chain),
            (LOCAL_SETTING, canonical_provider(config.local_provider or "-") == "offline"),
        )
        if used
    ]
    if not where:
        return []
    return [
        Error(
            f"The offline development provider is configured ({', '.join(where)}) while DEBUG "
            "is off: users would receive canned answers, not a model's.",
            hint="Use claude, openai, azure_openai or ollama outside development.",
            id="netrun.llm.E001",
        )
    ]


def check_chain(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E002, E003, E004, W001, W003."""
    config = _config()
    if config is None:
        return []
    messages: list[CheckMessage] = []
    chain_is_set = config.value_sources()["provider_chain"].source is not Source.DEFAULT
    if not config.chain:
        messages.append(
            Error(
                f"{CHAIN_SETTING} is empty: no LLM provider can answer.",
                hint='For example "claude,openai,ollama" (or "offline" in development).',
                id="netrun.llm.E003",
            )
        )
    for name in config.chain:
        provider = canonical_provider(name)
        if provider is None:
            messages.append(
                Error(
                    f"{CHAIN_SETTING} names an unknown LLM provider {name!r}.",
                    hint="Known: claude (anthropic), openai, azure_openai (azure), gemini "
                    "(google), ollama, offline.",
                    id="netrun.llm.E002",
                )
            )
            continue
        needs = missing_settings(provider, config)
        missing = needs if chain_is_set else []
        if missing:
            messages.append(
                Warning(
                    f"The LLM provider {name!r} is in {CHAIN_SETTING} but "
                    f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set; "
                    "the client leaves it out of the chain.",
                    hint="Set the variables (or NETRUN_LLM_<NAME> Django settings), or remove "
                    "the provider from the chain.",
                    id="netrun.llm.W001",
                )
            )
        # The seeds' default chain skips unconfigured providers silently; a configured one
        # without its SDK is worth a warning either way.
        if chain_is_set or not needs:
            messages.extend(_missing_sdk(provider, name, CHAIN_SETTING))
    local = canonical_provider(config.local_provider) if config.local_provider else None
    if local in LOCAL_PROVIDERS:
        messages.extend(_missing_sdk(str(local), str(config.local_provider), LOCAL_SETTING))
    if config.local_provider and local not in LOCAL_PROVIDERS:
        messages.append(
            Error(
                f"{LOCAL_SETTING} is {config.local_provider!r}; budget fallbacks need a local "
                "model.",
                hint='Use "ollama", "offline" (development only) or "" for no fallback.',
                id="netrun.llm.E004",
            )
        )
    return messages


def _missing_sdk(provider: str, name: str, setting: str) -> list[CheckMessage]:
    adapter = ADAPTER_CLASSES[provider]
    module = adapter.missing_sdk()
    if module is None:
        return []
    return [
        Warning(
            f"The LLM provider {name!r} is in {setting} but its package {module!r} is not "
            "installed; the client skips it.",
            hint=f'pip install "netrun[{adapter.sdk_extra}]", or remove the provider from '
            f"{setting}.",
            id="netrun.llm.W003",
        )
    ]
