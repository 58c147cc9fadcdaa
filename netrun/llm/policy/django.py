"""The Django half of pricing: the built-in table with ``NETRUN_LLM_PRICES`` and admin rows.

``NetrunLlmConfig.ready()`` installs :func:`price_table` as the source of
:func:`netrun.llm.policy.pricing.current_price_table`, which the policy enforcer and the telemetry
collector price calls with, and connects the receiver that keeps it fresh
(:func:`netrun.llm.receivers.price_changed`). Precedence,
highest first: :class:`~netrun.llm.models.LLMPriceOverride` rows (admin), ``NETRUN_LLM_PRICES``
rows (settings), the built-in table; see :meth:`~netrun.llm.policy.pricing.PriceTable.with_overrides`.

The merged table is cached in the process: pricing a call costs no query. Saving or deleting
an override drops the cache of this process at once; other processes reload within
``CACHE_SECONDS``. A changed ``NETRUN_LLM_PRICES`` is seen on the next lookup. Settings rows
that do not parse are left out (the system checks ``netrun.llm.E005``-``E007`` report them).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import TYPE_CHECKING

from django.core.exceptions import SynchronousOnlyOperation
from django.db import transaction

from netrun.config import get_settings
from netrun.errors import NetrunException
from netrun.llm.conf import LLMConfig
from netrun.llm.policy.pricing import (
    ModelPrice,
    PriceRowError,
    PriceTable,
    default_price_table,
    price_from_row,
)
from netrun.logging import get_logger

if TYPE_CHECKING:
    from netrun.llm.models import LLMPriceOverride

__all__ = [
    "CACHE_SECONDS",
    "admin_prices",
    "invalidate_prices",
    "price_table",
    "settings_prices",
]

logger = get_logger(__name__)

#: How long another process may price with an admin row that was changed or deleted.
CACHE_SECONDS = 60.0
# After a failed load (database down, table not migrated yet), try again this much later.
_RETRY_SECONDS = 5.0


def settings_prices(config: LLMConfig) -> list[ModelPrice | PriceRowError]:
    """Each ``NETRUN_LLM_PRICES`` row, parsed, or the error that row raised."""
    parsed: list[ModelPrice | PriceRowError] = []
    for row in config.prices:
        try:
            parsed.append(price_from_row(row))
        except PriceRowError as error:
            parsed.append(error)
    return parsed


def _price_of(row: LLMPriceOverride) -> ModelPrice:
    return ModelPrice(
        provider=row.provider,
        model=row.model.strip().lower(),
        input_per_mtok=row.input_per_mtok,
        output_per_mtok=row.output_per_mtok,
        effective_from=row.effective_from,
        cache_read_per_mtok=row.cache_read_per_mtok,
        cache_write_per_mtok=row.cache_write_per_mtok,
        long_context_threshold=row.long_context_threshold,
        long_context_input_per_mtok=row.long_context_input_per_mtok,
        long_context_output_per_mtok=row.long_context_output_per_mtok,
        long_context_cache_read_per_mtok=row.long_context_cache_read_per_mtok,
        long_context_cache_write_per_mtok=row.long_context_cache_write_per_mtok,
    )


def _query_admin_prices() -> list[ModelPrice]:
    from netrun.llm.models import LLMPriceOverride

    # A savepoint inside a caller's transaction: a failed read must not poison it.
    with transaction.atomic():
        return [_price_of(row) for row in LLMPriceOverride.objects.all()]


def admin_prices() -> list[ModelPrice]:
    """Every :class:`~netrun.llm.models.LLMPriceOverride` as a :class:`ModelPrice` (a query)."""
    try:
        return _query_admin_prices()
    except SynchronousOnlyOperation:
        # Priced from an event loop (an async view's validate_request): the ORM refuses to
        # block the loop, so a worker thread runs the one query; it blocks once per refresh.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(_query_admin_prices).result()


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.config: LLMConfig | None = None
        self.table: PriceTable | None = None
        self.expires = 0.0
        self.generation = 0


_cache = _Cache()


def invalidate_prices() -> None:
    """Drop this process's merged table; the next priced call rebuilds it."""
    with _cache.lock:
        _cache.table = None
        _cache.generation += 1


def _config() -> LLMConfig | None:
    try:
        return get_settings(LLMConfig)
    except NetrunException:
        return None  # invalid settings: netrun.config.E007 reports them


def _build(config: LLMConfig | None) -> tuple[PriceTable, float]:
    table = default_price_table()
    if config is not None:
        table = table.with_overrides(
            price for price in settings_prices(config) if isinstance(price, ModelPrice)
        )
    try:
        rows = admin_prices()
    except Exception as error:
        # Without the admin rows, price with the settings and built-in ones and say so; the
        # failure is not cached for long.
        logger.warning("llm_price_overrides_unavailable", error=f"{type(error).__name__}: {error}")
        return table, _RETRY_SECONDS
    return table.with_overrides(rows), CACHE_SECONDS


def price_table() -> PriceTable:
    """The built-in table with the settings and admin overrides; cached (see the module)."""
    config = _config()
    now = time.monotonic()
    table = _cache.table
    if table is not None and now < _cache.expires and config is _cache.config:
        return table
    with _cache.lock:
        generation = _cache.generation
    table, lifetime = _build(config)
    with _cache.lock:
        # An override saved while this table was built must not be hidden by it.
        if generation == _cache.generation:
            _cache.table, _cache.config, _cache.expires = table, config, now + lifetime
    return table
