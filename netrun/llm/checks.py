"""System checks of ``netrun.llm``'s adapters and chain, registered in ``ready()``.

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

from netrun.config import Source, get_settings
from netrun.errors import NetrunException
from netrun.llm.adapters import ADAPTER_CLASSES, LOCAL_PROVIDERS, canonical_provider
from netrun.llm.conf import LLMConfig
from netrun.llm.policy.django import settings_prices
from netrun.llm.policy.pricing import ModelPrice, normalize_provider

__all__ = [
    "METRICS_VIEW_MARKER",
    "check_budget_alerts",
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

#: The attribute that marks a metrics view (``netrun.llm.views_metrics``) in the URLconf.
METRICS_VIEW_MARKER = "netrun_llm_metrics_view"
METRICS_TOKEN_SETTING = "NETRUN_LLM_METRICS_TOKEN"  # noqa: S105 - a setting's name

CHAIN_SETTING = "NETRUN_LLM_PROVIDER_CHAIN"
LOCAL_SETTING = "NETRUN_LLM_LOCAL_PROVIDER"
PRICES_SETTING = "NETRUN_LLM_PRICES"
#: Providers a price row can apply to (the table's names; aliases are normalised first).
#: ``offline`` has no built-in price (it is a stand-in, not a model); a row for it is how a
#: development project with a budget gives its canned answers a price (``$0`` or a demo one).
PRICED_PROVIDERS = frozenset({"openai", "azure_openai", "anthropic", "gemini", "ollama", "offline"})


def _config() -> LLMConfig | None:
    try:
        return get_settings(LLMConfig)
    except NetrunException:
        return None  # netrun.config.E007 names the bad fields


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


ALIASES_SETTING = "NETRUN_LLM_MODEL_ALIASES"
FALLBACKS_SETTING = "NETRUN_LLM_CONTEXT_FALLBACKS"


def check_resilience(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E009, E010, W005: the breaker store, model aliases and context-window fallbacks."""
    from netrun.llm.resilience.config import breaker_store_problem
    from netrun.llm.resilience.context import split_target

    config = _config()
    if config is None:
        return []
    messages: list[CheckMessage] = []
    problem = breaker_store_problem(config.breaker_store)
    if problem is not None:
        hint = "LLMClient.from_config would fail on its first call."
        messages.append(Error(problem, hint=hint, id="netrun.llm.E009"))
    chain = {canonical_provider(name) for name in config.chain}
    targets: list[tuple[str, str]] = []
    for name, entries in config.model_aliases.items():
        group = [entries] if isinstance(entries, str) else list(entries)
        if not group or not all(entry.strip() for entry in group):
            messages.append(
                Error(
                    f"{ALIASES_SETTING}[{name!r}] is an empty group or holds a blank model.",
                    hint='Map a name to a model or a list of models: {"fast": ["gpt-4.1-mini", '
                    '"claude-haiku-4-5"]}.',
                    id="netrun.llm.E010",
                )
            )
        targets.extend((f"{ALIASES_SETTING}[{name!r}]", entry) for entry in group)
    for model, larger in config.context_fallbacks.items():
        if not larger.strip() or split_target(larger)[1] == model:
            messages.append(
                Error(
                    f"{FALLBACKS_SETTING}[{model!r}] is {larger!r}: a fallback must name "
                    "another, larger-context model.",
                    hint='For example {"gpt-4.1-mini": "gpt-4.1"}.',
                    id="netrun.llm.E010",
                )
            )
        targets.append((f"{FALLBACKS_SETTING}[{model!r}]", larger))
    for where, target in targets:
        provider = split_target(target)[0]
        if provider is not None and canonical_provider(provider) not in chain:
            messages.append(
                Warning(
                    f"{where} names {target!r}, whose provider is not in {CHAIN_SETTING}; "
                    "the client skips it.",
                    hint=f"Add {provider} to {CHAIN_SETTING}, or name another model.",
                    id="netrun.llm.W005",
                )
            )
    return messages


def check_model_aliases(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """W006: the admin's aliases, as E010 and W005 check the settings' (for rows saved past
    the admin's validation: a shell, a fixture; or a provider taken out of the chain since)."""
    from django.db import DatabaseError

    from netrun.llm.models import ModelAlias

    config = _config()
    if not databases or config is None:
        return []
    chain = {canonical_provider(name) for name in config.chain}
    try:
        rows = list(ModelAlias.objects.filter(enabled=True).values_list("name", "targets"))
    except DatabaseError:  # not migrated yet: migrate says so
        return []
    return [
        Warning(
            f"The model alias {name!r} (admin) routes to {target!r}: {problem}",
            hint="Edit the alias in the admin, or disable it.",
            obj=name,
            id="netrun.llm.W006",
        )
        for name, targets in rows
        for target in (targets if isinstance(targets, list) and targets else [""])
        if (problem := _admin_target_problem(target, chain)) is not None
    ]


def _admin_target_problem(target: object, chain: set[str | None]) -> str | None:
    from netrun.llm.resilience.context import split_target
    from netrun.llm.resilience.routing import target_problem

    if not isinstance(target, str):
        return "not a model name."
    problem = target_problem(target)
    if problem is not None:
        return problem
    provider = split_target(target)[0]
    if provider is not None and canonical_provider(provider) not in chain:
        return f"its provider is not in {CHAIN_SETTING}; the client skips it."
    return None


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
