"""List prices of LLM models, per 1M tokens, as ``Decimal``, and the cost of a call.

::

    from netrun.llm.policy.pricing import cost_for, default_price_table

    cost_for("anthropic", "claude-sonnet-4-5", usage)   # Decimal("0.004215") or None
    default_price_table().lookup("openai", "gpt-4o-2024-08-06").input_per_mtok

Usage is read by :func:`netrun.llm.types.usage_from`: netrun's ``Usage`` or what an official
SDK returns (OpenAI chat completions and Responses, Azure, Anthropic, streams' final usage,
plain dicts), with OpenAI's cached tokens taken out of ``prompt_tokens``. A shape it does not
know raises :class:`~netrun.llm.types.UsageShapeError`, never a cost of zero.

An unknown model costs ``None``, never ``Decimal(0)``: a call that cannot be priced must not
look free to a budget. Ollama (local) is free for every model.

The built-in table (:data:`DEFAULT_PRICES`, rows in :mod:`netrun.llm.policy.prices`) holds
providers' list prices with the date each took effect, long-context tiers included; pass your
own rows to :meth:`PriceTable.with_overrides`. :func:`current_price_table` is the table the
client's pricing uses: the built-in one unless glue installed another source with
:func:`set_price_source` (``netrun.llm.policy.django`` adds settings and admin rows).

Framework-neutral: no Django import.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from netrun.llm.policy._names import model_aliases, normalize_provider
from netrun.llm.policy.prices import BUILT_IN_ROWS
from netrun.llm.types import usage_from

__all__ = [
    "DEFAULT_PRICES",
    "PRICE_ROW_FIELDS",
    "CostTier",
    "ModelPrice",
    "PriceRowError",
    "PriceTable",
    "cost_for",
    "current_price_table",
    "default_price_table",
    "model_aliases",
    "normalize_provider",
    "price_from_row",
    "set_price_source",
]

_MILLION = Decimal(1_000_000)


class CostTier(enum.IntEnum):
    """How expensive a model is, from its output price per 1M tokens; ordered, so comparable.

    FREE: $0 (local models); LOW: < $2.50; MEDIUM: <= $15; HIGH: <= $40; PREMIUM: above.
    """

    FREE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    PREMIUM = 4

    @classmethod
    def for_price(cls, output_per_mtok: Decimal, input_per_mtok: Decimal = Decimal(0)) -> CostTier:
        if output_per_mtok == 0 and input_per_mtok == 0:
            return cls.FREE
        if output_per_mtok < Decimal("2.50"):
            return cls.LOW
        if output_per_mtok <= 15:
            return cls.MEDIUM
        if output_per_mtok <= 40:
            return cls.HIGH
        return cls.PREMIUM


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per 1M tokens for one model from ``effective_from`` on.

    ``cache_read_per_mtok`` / ``cache_write_per_mtok`` default to the input price (no discount,
    no surcharge). ``model`` ``"*"`` prices every model of the provider (Ollama). With a
    ``long_context_threshold``, a call whose prompt is above it is priced at the
    ``long_context_*`` prices (each defaulting to its short-context price).
    """

    provider: str
    model: str
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    effective_from: dt.date
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    long_context_threshold: int | None = None
    long_context_input_per_mtok: Decimal | None = None
    long_context_output_per_mtok: Decimal | None = None
    long_context_cache_read_per_mtok: Decimal | None = None
    long_context_cache_write_per_mtok: Decimal | None = None

    @property
    def tier(self) -> CostTier:
        return CostTier.for_price(self.output_per_mtok, self.input_per_mtok)

    def for_prompt(self, prompt_tokens: int) -> ModelPrice:
        """The flat prices in force for a prompt of ``prompt_tokens`` (this row, or its tier)."""
        threshold = self.long_context_threshold
        if threshold is None or prompt_tokens <= threshold:
            return self

        def above(price: Decimal | None, short: Decimal) -> Decimal:
            return short if price is None else price

        long_input = above(self.long_context_input_per_mtok, self.input_per_mtok)
        # A cache price the row does not have is the input price in force: the long one here.
        read = long_input if self.cache_read_per_mtok is None else self.cache_read_per_mtok
        write = long_input if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        return ModelPrice(
            self.provider,
            self.model,
            long_input,
            above(self.long_context_output_per_mtok, self.output_per_mtok),
            self.effective_from,
            cache_read_per_mtok=above(self.long_context_cache_read_per_mtok, read),
            cache_write_per_mtok=above(self.long_context_cache_write_per_mtok, write),
        )

    def cost(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> Decimal:
        """Exact USD cost of the given token counts (at the long-context prices if they apply)."""
        if self.long_context_threshold is not None:
            prompt = input_tokens + cache_read_tokens + cache_write_tokens
            if prompt > self.long_context_threshold:
                return self.for_prompt(prompt).cost(
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens
                )
        read = self.input_per_mtok if self.cache_read_per_mtok is None else self.cache_read_per_mtok
        write = (
            self.input_per_mtok if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        )
        total = (
            input_tokens * self.input_per_mtok
            + output_tokens * self.output_per_mtok
            + cache_read_tokens * read
            + cache_write_tokens * write
        )
        return total / _MILLION

    def usage_cost(self, usage: Any) -> Decimal:
        """:meth:`cost` of any usage :func:`~netrun.llm.types.usage_from` reads (an SDK's
        object or dict); an unreadable one raises :class:`~netrun.llm.types.UsageShapeError`."""
        counts = usage_from(usage)
        return self.cost(
            input_tokens=counts.input_tokens,
            output_tokens=counts.output_tokens,
            cache_read_tokens=counts.cache_read_tokens,
            cache_write_tokens=counts.cache_write_tokens,
        )

    def worst_case_cost(self, prompt_tokens: int, output_tokens: int) -> Decimal:
        """The most ``prompt_tokens`` + ``output_tokens`` can cost, however the provider
        splits the prompt between full-price, cache-read and cache-write tokens (a cache
        write costs more than an input token at Anthropic)."""
        flat = self.for_prompt(prompt_tokens)
        rates = [flat.input_per_mtok]
        for rate in (flat.cache_read_per_mtok, flat.cache_write_per_mtok):
            if rate is not None:
                rates.append(rate)
        return (prompt_tokens * max(rates) + output_tokens * flat.output_per_mtok) / _MILLION


DEFAULT_PRICES: tuple[ModelPrice, ...] = tuple(ModelPrice(**row) for row in BUILT_IN_ROWS)


class PriceTable:
    """Prices looked up by provider and model, at a date; rows may be overridden.

    ``PriceTable(rows)`` replaces the defaults; ``default_price_table().with_prices(rows)``
    adds rows that win over the defaults for the same provider, model and date.
    """

    def __init__(self, prices: Iterable[ModelPrice] = DEFAULT_PRICES) -> None:
        table: dict[tuple[str, str], list[ModelPrice]] = {}
        for price in prices:
            key = (normalize_provider(price.provider), price.model.lower())
            rows = [row for row in table.get(key, []) if row.effective_from != price.effective_from]
            rows.append(price)
            table[key] = sorted(rows, key=lambda row: row.effective_from)
        self._table = table
        self._lookup = functools.lru_cache(maxsize=1024)(self._find)

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self) -> Any:
        return (row for rows in self._table.values() for row in rows)

    def with_prices(self, prices: Iterable[ModelPrice]) -> PriceTable:
        return PriceTable([*self, *prices])

    def with_overrides(self, prices: Iterable[ModelPrice]) -> PriceTable:
        """This table with ``prices`` winning: for each provider and model they name, this
        table's rows from the earliest override's date on are dropped, so an override dated
        before a built-in price change still wins today; older history stays."""
        overrides = list(prices)
        if not overrides:
            return self
        since: dict[tuple[str, str], dt.date] = {}
        for row in overrides:
            key = (normalize_provider(row.provider), row.model.lower())
            since[key] = min(row.effective_from, since.get(key, row.effective_from))
        kept = [
            row
            for row in self
            if (key := (normalize_provider(row.provider), row.model.lower())) not in since
            or row.effective_from < since[key]
        ]
        return PriceTable([*kept, *overrides])

    def lookup(self, provider: str, model: str, at: dt.date | None = None) -> ModelPrice | None:
        """The price in force on ``at`` (default: today, UTC), or ``None`` when unknown."""
        day = at if at is not None else dt.datetime.now(dt.timezone.utc).date()
        return self._lookup(normalize_provider(provider), model.strip().lower(), day)

    def _find(self, provider: str, model: str, day: dt.date) -> ModelPrice | None:
        for candidate in (*model_aliases(model), "*"):
            rows = self._table.get((provider, candidate))
            if rows:
                in_force = [row for row in rows if row.effective_from <= day]
                # A model priced only from a later date has no price yet on ``day``.
                return in_force[-1] if in_force else None
        return None


# Row keys (settings, JSON) -> ModelPrice fields; the first four and the date are required.
PRICE_ROW_FIELDS: dict[str, str] = {
    "provider": "provider",
    "model": "model",
    "input": "input_per_mtok",
    "output": "output_per_mtok",
    "effective_from": "effective_from",
    "cache_read": "cache_read_per_mtok",
    "cache_write": "cache_write_per_mtok",
    "long_context_threshold": "long_context_threshold",
    "long_context_input": "long_context_input_per_mtok",
    "long_context_output": "long_context_output_per_mtok",
    "long_context_cache_read": "long_context_cache_read_per_mtok",
    "long_context_cache_write": "long_context_cache_write_per_mtok",
}
_REQUIRED = ("provider", "model", "input", "output", "effective_from")


class PriceRowError(ValueError):
    """A price row that cannot be read; ``field`` names the key (``""``: the row itself).

    ``problem`` is ``"shape"`` (not a mapping, a missing or unknown key) or ``"value"``.
    """

    def __init__(self, message: str, *, field: str = "", problem: str = "value") -> None:
        super().__init__(message)
        self.field = field
        self.problem = problem


def _row_money(value: Any, key: str) -> Decimal:
    # Floats are refused: 0.1 is not a tenth in binary, and prices must add up exactly.
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise PriceRowError(
            f"{key} must be a string, an int or a Decimal (not {type(value).__name__})",
            field=key,
        )
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise PriceRowError(f"{key} is not a number: {value!r}", field=key) from None
    if not amount.is_finite() or amount < 0:
        raise PriceRowError(f"{key} must be a non-negative amount, not {value!r}", field=key)
    return amount


def price_from_row(row: Any) -> ModelPrice:
    """A :class:`ModelPrice` from a settings row; raises :class:`PriceRowError`.

    Keys (USD per 1M tokens): ``provider``, ``model``, ``input``, ``output``,
    ``effective_from`` (``"YYYY-MM-DD"`` or a date) are required; ``cache_read``,
    ``cache_write``, ``long_context_threshold`` (prompt tokens) and ``long_context_input``,
    ``_output``, ``_cache_read``, ``_cache_write`` are optional.
    """
    if not isinstance(row, Mapping):
        raise PriceRowError(f"a row must be a mapping, not {type(row).__name__}", problem="shape")
    unknown = sorted(str(key) for key in row if key not in PRICE_ROW_FIELDS)
    if unknown:
        raise PriceRowError(
            f"unknown key {unknown[0]!r} (known: {', '.join(PRICE_ROW_FIELDS)})",
            field=unknown[0],
            problem="shape",
        )
    for key in _REQUIRED:
        if row.get(key) in (None, ""):
            raise PriceRowError(f"{key} is required", field=key, problem="shape")
    values: dict[str, Any] = {}
    for key in ("provider", "model"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise PriceRowError(f"{key} must be a non-empty string", field=key)
        values[key] = row[key].strip().lower()
    values["provider"] = normalize_provider(values["provider"])
    day = row["effective_from"]
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise PriceRowError(
                f"effective_from must be a date as YYYY-MM-DD, not {day!r}", field="effective_from"
            ) from None
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise PriceRowError("effective_from must be a date", field="effective_from")
    values["effective_from"] = day
    threshold = row.get("long_context_threshold")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
            raise PriceRowError(
                f"long_context_threshold must be a positive int of tokens, not {threshold!r}",
                field="long_context_threshold",
            )
        values["long_context_threshold"] = threshold
    for key, name in PRICE_ROW_FIELDS.items():
        if name not in values and key != "long_context_threshold" and row.get(key) is not None:
            if key.startswith("long_context_") and threshold is None:
                raise PriceRowError(f"{key} needs long_context_threshold", field=key)
            values[name] = _row_money(row[key], key)
    return ModelPrice(**values)


@functools.lru_cache(maxsize=1)
def default_price_table() -> PriceTable:
    """The built-in table (cached; build a :class:`PriceTable` to change it)."""
    return PriceTable(DEFAULT_PRICES)


_price_source: Callable[[], PriceTable] | None = None


def set_price_source(source: Callable[[], PriceTable] | None) -> None:
    """Make ``source()`` the table :func:`current_price_table` returns (``None``: built-in).

    ``source`` is called on every priced call, so it must be cheap (return a cached table).
    """
    global _price_source
    _price_source = source


def current_price_table() -> PriceTable:
    """The table calls are priced with: the installed source's, else :func:`default_price_table`."""
    source = _price_source
    return default_price_table() if source is None else source()


def cost_for(
    provider: str,
    model: str,
    usage: Any,
    *,
    at: dt.date | None = None,
    table: PriceTable | None = None,
) -> Decimal | None:
    """USD cost of ``usage`` for ``provider``/``model``; ``None`` when the price is unknown."""
    price = (table or current_price_table()).lookup(provider, model, at)
    if price is None:
        return None
    return price.usage_cost(usage)
