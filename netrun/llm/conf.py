"""Settings of ``netrun.llm``: :class:`LLMConfig`, the seeds' contract plus what adapters need.

Each value is read (highest first) from an explicit argument, the flat Django setting
``NETRUN_LLM_<NAME>``, the environment variable, ``.env``, the default. The provider keys keep
the seeds' (and the SDKs') variable names; everything else uses the ``LLM_`` prefix.

==========================  ===================================  ==============================
Field                       Environment (Django: ``NETRUN_LLM_``  Default
                            + the name without ``LLM_``)
==========================  ===================================  ==============================
``provider_chain``          ``LLM_PROVIDER_CHAIN``               ``"claude,openai,ollama"``
``local_provider``          ``LLM_LOCAL_PROVIDER``               ``"ollama"`` (``offline``, or
                                                                 ``""`` for no local fallback)
``anthropic_api_key``       ``ANTHROPIC_API_KEY``                unset (secret)
``anthropic_base_url``      ``LLM_ANTHROPIC_BASE_URL``           unset: the SDK's
``anthropic_model``         ``LLM_ANTHROPIC_MODEL``              ``"claude-haiku-4-5"``
``openai_api_key``          ``OPENAI_API_KEY``                   unset (secret)
``openai_base_url``         ``LLM_OPENAI_BASE_URL``              unset: the SDK's
``openai_model``            ``LLM_OPENAI_MODEL``                 ``"gpt-4o-mini"``
``azure_openai_endpoint``   ``AZURE_OPENAI_ENDPOINT``            unset
``azure_openai_key``        ``AZURE_OPENAI_API_KEY``             unset (secret)
``azure_openai_api_version`` ``LLM_AZURE_OPENAI_API_VERSION``    ``"2024-10-21"``
``azure_openai_deployment``  ``LLM_AZURE_OPENAI_DEPLOYMENT``     unset (required for Azure)
``azure_openai_deployments`` ``LLM_AZURE_OPENAI_DEPLOYMENTS``    ``{}`` (model -> deployment)
``gemini_api_key``          ``GEMINI_API_KEY``                   unset (secret)
``gemini_base_url``         ``LLM_GEMINI_BASE_URL``              unset: the SDK's
``gemini_model``            ``LLM_GEMINI_MODEL``                 ``"gemini-2.5-flash"``
``ollama_base_url``         ``LLM_OLLAMA_BASE_URL``              ``"http://127.0.0.1:11434"``
``ollama_model``            ``LLM_OLLAMA_MODEL``                 ``"llama3.2"``
``max_output_tokens``       ``LLM_MAX_OUTPUT_TOKENS``            ``1024``
``budget_ledger``           ``LLM_BUDGET_LEDGER``                ``"memory"``: the process's;
                                                                 ``redis://...``,
                                                                 ``postgresql://...``,
                                                                 ``django[:alias]`` or a path
``timeout``                 ``LLM_TIMEOUT``                      ``60.0`` seconds per attempt
``max_retries``             ``LLM_MAX_RETRIES``                  ``2`` per provider
``max_retry_wait``          ``LLM_MAX_RETRY_WAIT``               ``30.0``: a longer Retry-After
                                                                 moves on to the next provider
``prices``                  ``LLM_PRICES`` (JSON)                ``[]``: price rows that win
                                                                 over the built-in table
``metrics_token``           ``LLM_METRICS_TOKEN``                unset (secret): the token
                                                                 Prometheus sends to
                                                                 ``metrics_view``
``metrics_top_n``           ``LLM_METRICS_TOP_N``                ``10``: users, keys and tags
                                                                 labelled per scope (1-100)
``breaker_store``           ``LLM_BREAKER_STORE``                ``"memory"``; a ``redis://``
                                                                 URL shares it; ``"off"``
``breaker_failures``        ``LLM_BREAKER_FAILURES``             ``5`` within the window
``breaker_window``          ``LLM_BREAKER_WINDOW``               ``60.0`` seconds
``breaker_cooldown``        ``LLM_BREAKER_COOLDOWN``             ``30.0`` seconds
``context_fallbacks``       ``LLM_CONTEXT_FALLBACKS`` (JSON)     ``{}``: model -> larger model
``model_aliases``           ``LLM_MODEL_ALIASES`` (JSON)         ``{}``: name -> model(s)
``budget_alert_thresholds`` ``LLM_BUDGET_ALERT_THRESHOLDS``     ``[]``: no alerts; for example
                            (JSON)                               ``[50, 80, 100]`` (percent)
``budget_webhooks``         ``LLM_BUDGET_WEBHOOKS`` (JSON)       ``[]``: URLs alerts are POSTed to
``budget_webhook_secret``   ``LLM_BUDGET_WEBHOOK_SECRET``        unset (secret): signs them
==========================  ===================================  ==============================

Each field is the Django setting's name without ``NETRUN_LLM_``, lower-cased
(``conf.provider_chain`` reads ``NETRUN_LLM_PROVIDER_CHAIN``); the seeds'
``llm_provider_chain`` is still accepted as an argument and read as an attribute.

``prices`` rows are mappings read by :func:`netrun.llm.policy.pricing.price_from_row`, USD per 1M
tokens as strings, ints or ``Decimal``::

    NETRUN_LLM_PRICES = [
        {"provider": "openai", "model": "gpt-4o", "input": "2.00", "output": "8.00",
         "cache_read": "1.00", "effective_from": "2025-01-01"},
    ]

Semantic problems (unknown providers, missing keys, the offline provider in production) are
system checks, see :mod:`netrun.llm.checks`. Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import Any, ClassVar

from netrun.config import (
    BaseConfig,
    Field,
    NetrunConfigDict,
    SecretStr,
    app_settings,
    field_validator,
    get_settings,
)
from netrun.errors import NetrunException

__all__ = ["CHAIN_SETTING", "LLMConfig", "checked_config", "conf"]

#: The Django setting of the provider chain, as checks and errors name it.
CHAIN_SETTING = "NETRUN_LLM_PROVIDER_CHAIN"


class LLMConfig(BaseConfig):
    """Provider chain, keys and transport settings of the LLM adapters."""

    model_config = NetrunConfigDict(env_prefix="LLM_", django_prefix="NETRUN_LLM_")

    #: The seeds' name still builds and reads: ``LLMConfig(llm_provider_chain=...)``.
    renamed_fields: ClassVar[dict[str, str]] = {"llm_provider_chain": "provider_chain"}

    provider_chain: str = Field(
        "claude,openai,ollama", description="Providers to try in order, comma-separated."
    )
    local_provider: str = Field(
        "ollama", description="Local model for budget fallbacks: ollama, offline or empty."
    )
    anthropic_api_key: SecretStr | None = Field(
        None, env="ANTHROPIC_API_KEY", description="Anthropic API key."
    )
    anthropic_base_url: str | None = Field(None, description="Anthropic API base URL.")
    anthropic_model: str = Field("claude-haiku-4-5", description="Default Claude model.")
    openai_api_key: SecretStr | None = Field(
        None, env="OPENAI_API_KEY", description="OpenAI API key."
    )
    openai_base_url: str | None = Field(None, description="OpenAI API base URL.")
    openai_model: str = Field("gpt-4o-mini", description="Default OpenAI model.")
    azure_openai_endpoint: str | None = Field(
        None, env="AZURE_OPENAI_ENDPOINT", description="https://<resource>.openai.azure.com"
    )
    azure_openai_key: SecretStr | None = Field(
        None, env="AZURE_OPENAI_API_KEY", description="Azure OpenAI API key."
    )
    azure_openai_api_version: str = Field("2024-10-21", description="Azure OpenAI API version.")
    azure_openai_deployment: str | None = Field(None, description="Default Azure deployment.")
    azure_openai_deployments: dict[str, str] = Field(
        default_factory=dict, description="Model name -> Azure deployment name (JSON)."
    )
    gemini_api_key: SecretStr | None = Field(
        None, env="GEMINI_API_KEY", description="Gemini Developer API key."
    )
    gemini_base_url: str | None = Field(None, description="Gemini API base URL.")
    gemini_model: str = Field("gemini-2.5-flash", description="Default Gemini model.")
    ollama_base_url: str = Field("http://127.0.0.1:11434", description="Ollama server URL.")
    ollama_model: str = Field("llama3.2", description="Default Ollama model.")
    max_output_tokens: int = Field(1024, ge=1, description="Default max_tokens of a call.")
    budget_ledger: str = Field(
        "memory",
        description="Ledger every PolicyEnforcer shares by default: memory, a redis:// URL, a "
        "postgresql:// DSN, django[:alias], or the dotted path of a ledger factory.",
    )
    timeout: float = Field(60.0, gt=0, description="Seconds one attempt may take.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries per provider.")
    max_retry_wait: float = Field(
        30.0, ge=0, description="Longest Retry-After honoured before trying the next provider."
    )
    # Rows stay loosely typed here: the system checks netrun.llm.E005-E007 name the bad row
    # and field, which a validation error of the whole setting (netrun.config.E007) cannot.
    prices: list[Any] = Field(
        default_factory=list,
        description="Price overrides: rows of provider, model, input, output, cache_read, "
        "cache_write, effective_from (USD per 1M tokens; JSON).",
    )

    metrics_token: SecretStr | None = Field(
        None, description="Token Prometheus sends to metrics_view (Bearer or Metrics scheme)."
    )
    # Range checked by netrun.llm.E030, which names the setting and the limits.
    metrics_top_n: int = Field(
        10,
        description="Per scope (user, API key, tag), how many values by spend keep their own "
        "Prometheus label; the others are counted as 'other' (1 to 100).",
    )
    breaker_store: str = Field(
        "memory",
        description="Where circuit breakers keep their state: memory (this process), a "
        "redis:// or redis+cluster:// URL (every process), or off.",
    )
    breaker_failures: int = Field(
        5, ge=1, description="Transient failures within breaker_window that open a breaker."
    )
    breaker_window: float = Field(60.0, gt=0, description="Seconds failures are counted over.")
    breaker_cooldown: float = Field(
        30.0, gt=0, description="Seconds an open breaker waits before its half-open probe."
    )
    context_fallbacks: dict[str, str] = Field(
        default_factory=dict,
        description="Model -> larger-context model (or provider/model) to retry a prompt "
        "too long for it on (JSON).",
    )
    model_aliases: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Name -> model, or -> models tried in order (a routing group) (JSON).",
    )
    # Loosely typed: the system checks netrun.llm.E060-E062 name the bad entry.
    budget_alert_thresholds: list[Any] = Field(
        default_factory=list,
        description="Percentages of a budget's limit that fire an alert once per period "
        "(JSON, for example [50, 80, 100]); empty: no alerts but a scope budget's own.",
    )
    budget_webhooks: list[Any] = Field(
        default_factory=list,
        description="URLs each budget alert is POSTed to by a Celery task (JSON).",
    )
    budget_webhook_secret: SecretStr | None = Field(
        None, description="Key of the webhooks' X-Netrun-Signature (HMAC-SHA256 of the body)."
    )

    @field_validator("local_provider", mode="before")
    @classmethod
    def _lower_local(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def chain(self) -> tuple[str, ...]:
        """``provider_chain`` as written (lower case, blanks dropped); aliases not resolved."""
        return tuple(
            name.strip().lower() for name in self.provider_chain.split(",") if name.strip()
        )


conf = app_settings(LLMConfig)


def checked_config() -> LLMConfig | None:
    """The current settings, or ``None`` when they do not validate (``netrun.config.E007``
    names the bad fields): what the system checks read."""
    try:
        return get_settings(LLMConfig)
    except NetrunException:
        return None
