"""Price drift: netrun's price table beside the ``genai-prices`` package's data, model by model.

The table in :mod:`netrun.llm.policy.pricing` is kept by hand; ``genai-prices`` (pydantic's
maintained price data) is updated with each of its releases. :func:`compare_prices` reads
that data offline, from the snapshot bundled in the installed package: it never starts
``genai_prices.UpdatePrices``, so nothing is fetched. A stale price shows as ``drift`` the
day the package is updated.

For each provider and model of the table, at the price in force on a day, the effective USD
per 1M tokens of an input, an output, a cache-read and a cache-write token are compared (a
missing cache price is the input price, on both sides), and again above each long-context
threshold either side knows. The source's rates are measured with ``genai_prices.calc_price``,
so they are what that package would bill. Statuses:

- ``same``: every rate within the tolerance (a relative difference, in percent);
- ``drift``: at least one rate differs by more;
- ``missing-in-source``: genai-prices has the provider but not the model;
- ``netrun-only``: a provider genai-prices does not cover (Ollama's free local models).

Framework-neutral: no Django import; the commands build the table to compare.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from netrun.core.deps import MissingDependencyError, distribution_version, is_available
from netrun.llm.policy.pricing import (
    ModelPrice,
    PriceTable,
    default_price_table,
    normalize_provider,
)

if TYPE_CHECKING:
    from genai_prices.types import PriceCalculation

__all__ = [
    "DEFAULT_TOLERANCE_PCT",
    "INSTALL_HINT",
    "SOURCE",
    "DriftReport",
    "ModelDrift",
    "RateDiff",
    "Status",
    "compare_prices",
]

#: The distribution read, and the extra that installs it.
SOURCE = "genai-prices"
#: What the commands add to the :class:`~netrun.core.deps.MissingDependencyError`.
INSTALL_HINT = f"{SOURCE} needs Python 3.11+; in a checkout, the `test` dependency group has it"
#: Rates closer than this (percent of the source's rate) count as the same.
DEFAULT_TOLERANCE_PCT = Decimal(1)

_MILLION = Decimal(1_000_000)
# Tokens of the sample calls that measure the source's short-context rates: far below any
# long-context threshold.
_SHORT_PROMPT = 1000
_RATES = ("input", "output", "cache_read", "cache_write")

# netrun's provider names (after normalize_provider) -> genai-prices' provider ids.
_SOURCE_PROVIDERS = {
    "openai": "openai",
    "azure_openai": "azure",
    "anthropic": "anthropic",
    "gemini": "google",
}


class Status(str, enum.Enum):
    SAME = "same"
    DRIFT = "drift"
    MISSING_IN_SOURCE = "missing-in-source"
    NETRUN_ONLY = "netrun-only"


@dataclass(frozen=True)
class RateDiff:
    """One rate, USD per 1M tokens, for prompts above ``above`` tokens (``None``: short ones)."""

    rate: str
    above: int | None
    netrun: Decimal
    source: Decimal | None  # None: the source has no price for the model
    difference_pct: Decimal | None
    drift: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "above": self.above,
            "netrun": _plain(self.netrun),
            "source": None if self.source is None else _plain(self.source),
            "difference_pct": None if self.difference_pct is None else float(self.difference_pct),
            "drift": self.drift,
        }

    def label(self) -> str:
        return self.rate if self.above is None else f"{self.rate}>{self.above}"


@dataclass(frozen=True)
class ModelDrift:
    """One provider and model of netrun's table and what the source says about it."""

    provider: str
    model: str
    effective_from: dt.date
    origin: str  # "built-in", or "override" (a settings or admin row)
    status: Status
    source_provider: str | None
    source_model: str | None
    rates: tuple[RateDiff, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "effective_from": self.effective_from.isoformat(),
            "origin": self.origin,
            "status": self.status.value,
            "source_provider": self.source_provider,
            "source_model": self.source_model,
            "rates": [rate.to_dict() for rate in self.rates],
        }


@dataclass(frozen=True)
class DriftReport:
    source_version: str
    source_data: str  # "bundled", or "updated <timestamp>" if the process fetched newer data
    at: dt.date
    tolerance_pct: Decimal
    models: tuple[ModelDrift, ...]

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for model in self.models:
            counts[model.status.value] += 1
        return counts

    @property
    def drifted(self) -> tuple[ModelDrift, ...]:
        return tuple(model for model in self.models if model.status is Status.DRIFT)

    def exit_code(self, *, fail_on_drift: bool = False) -> int:
        """1 when ``fail_on_drift`` and a model drifts; otherwise 0 (a report, not a gate)."""
        return 1 if fail_on_drift and self.drifted else 0

    def to_json(self) -> str:
        document = {
            "source": {"package": SOURCE, "version": self.source_version, "data": self.source_data},
            "at": self.at.isoformat(),
            "tolerance_pct": float(self.tolerance_pct),
            "summary": self.counts(),
            "models": [model.to_dict() for model in self.models],
        }
        return json.dumps(document, indent=2)

    def to_text(self) -> str:
        lines = [
            f"netrun's LLM prices in force on {self.at.isoformat()} against {SOURCE} "
            f"{self.source_version} ({self.source_data} data), USD per 1M tokens, "
            f"tolerance {_plain(self.tolerance_pct)}%",
            "",
        ]
        width = max((len(f"{m.provider}/{m.model}") for m in self.models), default=0)
        for model in self.models:
            name = f"{model.provider}/{model.model}".ljust(width)
            lines.append(f"{model.status.value:<18} {name}  {_describe(model)}")
        counts = ", ".join(f"{count} {status}" for status, count in self.counts().items())
        lines += ["", f"{len(self.models)} models: {counts}"]
        if self.drifted:
            names = ", ".join(f"{m.provider}/{m.model}" for m in self.drifted)
            lines.append(
                f"WARNING: {len(self.drifted)} model(s) differ from {SOURCE} by more than "
                f"{_plain(self.tolerance_pct)}%: {names}"
            )
        return "\n".join(lines)


def _describe(model: ModelDrift) -> str:
    if model.status is Status.DRIFT:
        return "; ".join(
            f"{rate.label()} {_plain(rate.netrun)} vs {_plain(rate.source)} ({_pct(rate)})"
            for rate in model.rates
            if rate.drift and rate.source is not None
        )
    shown = [rate for rate in model.rates if rate.above is None]
    return ", ".join(f"{rate.rate} {_plain(rate.netrun)}" for rate in shown)


def _pct(rate: RateDiff) -> str:
    if rate.difference_pct is None:
        return "source is free"
    return f"{rate.difference_pct:+.2f}%"


def _plain(value: Decimal) -> str:
    """``Decimal("2.50")`` -> ``"2.5"``, ``Decimal("10.00")`` -> ``"10"`` (never ``1E+1``)."""
    return format(value.normalize(), "f")


def _netrun_rates(price: ModelPrice, prompt_tokens: int) -> dict[str, Decimal]:
    flat = price.for_prompt(prompt_tokens)
    read, write = flat.cache_read_per_mtok, flat.cache_write_per_mtok
    return {
        "input": flat.input_per_mtok,
        "output": flat.output_per_mtok,
        "cache_read": flat.input_per_mtok if read is None else read,
        "cache_write": flat.input_per_mtok if write is None else write,
    }


class _Source:
    """The bundled genai-prices data, asked through its public ``calc_price``."""

    def __init__(self, when: dt.datetime) -> None:
        if not is_available("genai_prices"):
            raise MissingDependencyError(SOURCE, "The LLM price drift report", "prices")
        import genai_prices

        self._genai_prices = genai_prices
        self.when = when
        self.updated_at: dt.datetime | None = None

    def _calc(self, provider: str, model: str, **usage: int) -> PriceCalculation:
        calculation = self._genai_prices.calc_price(
            self._genai_prices.Usage(**usage),
            model,
            provider_id=provider,
            genai_request_timestamp=self.when,
        )
        if calculation.auto_update_timestamp is not None:
            self.updated_at = calculation.auto_update_timestamp
        return calculation

    def rates(self, provider: str, model: str, prompt_tokens: int) -> dict[str, Decimal]:
        """The effective USD per 1M tokens of each rate for a prompt of ``prompt_tokens``."""
        n = prompt_tokens
        plain = self._calc(provider, model, input_tokens=n, output_tokens=n)
        read = self._calc(provider, model, input_tokens=n, cache_read_tokens=n)
        write = self._calc(provider, model, input_tokens=n, cache_write_tokens=n)
        return {
            "input": plain.input_price * _MILLION / n,
            "output": plain.output_price * _MILLION / n,
            "cache_read": read.input_price * _MILLION / n,
            "cache_write": write.input_price * _MILLION / n,
        }

    def match(self, provider: str, model: str) -> tuple[str, list[int]] | None:
        """The source's model id and long-context thresholds, or ``None`` if it has no such model."""
        try:
            calculation = self._calc(provider, model, input_tokens=_SHORT_PROMPT)
        except LookupError:
            return None
        thresholds: set[int] = set()
        for rate in ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok"):
            price = getattr(calculation.model_price, rate, None)
            for tier in getattr(price, "tiers", None) or ():
                thresholds.add(int(tier.start))
        return calculation.model.id, sorted(thresholds)


def _difference(
    netrun: Decimal, source: Decimal, tolerance_pct: Decimal
) -> tuple[Decimal | None, bool]:
    if source == 0:
        return (Decimal(0), False) if netrun == 0 else (None, True)
    pct = (netrun - source) / source * 100
    return pct, abs(pct) > tolerance_pct


def _keys(table: PriceTable) -> Iterator[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    for row in table:
        key = (normalize_provider(row.provider), row.model.lower())
        if key not in seen:
            seen.add(key)
            yield key


def _compare_model(
    source: _Source, key: tuple[str, str], price: ModelPrice, origin: str, tolerance_pct: Decimal
) -> ModelDrift:
    provider, model = key
    # A wildcard row (Ollama's "*") prices models no source lists one by one.
    source_provider = _SOURCE_PROVIDERS.get(provider) if model != "*" else None
    found = None if source_provider is None else source.match(source_provider, model)
    if source_provider is None or found is None:
        status = Status.NETRUN_ONLY if source_provider is None else Status.MISSING_IN_SOURCE
        ours = _netrun_rates(price, _SHORT_PROMPT)
        rates = tuple(RateDiff(rate, None, ours[rate], None, None, False) for rate in _RATES)
        return ModelDrift(
            provider, model, price.effective_from, origin, status, source_provider, None, rates
        )
    source_model, thresholds = found
    if price.long_context_threshold is not None:
        thresholds = sorted({*thresholds, price.long_context_threshold})
    diffs: list[RateDiff] = []
    for above in (None, *thresholds):
        # Above a threshold: the rates of a prompt one token over it, on both sides.
        prompt = _SHORT_PROMPT if above is None else above + 1
        ours = _netrun_rates(price, prompt)
        theirs = source.rates(source_provider, model, prompt)
        for rate in _RATES:
            pct, drift = _difference(ours[rate], theirs[rate], tolerance_pct)
            diffs.append(RateDiff(rate, above, ours[rate], theirs[rate], pct, drift))
    status = Status.DRIFT if any(diff.drift for diff in diffs) else Status.SAME
    return ModelDrift(
        provider,
        model,
        price.effective_from,
        origin,
        status,
        source_provider,
        source_model,
        tuple(diffs),
    )


def compare_prices(
    table: PriceTable | None = None,
    *,
    tolerance_pct: Decimal = DEFAULT_TOLERANCE_PCT,
    at: dt.date | None = None,
) -> DriftReport:
    """``table`` (default: the built-in one) beside genai-prices, at the prices of ``at``.

    Raises :class:`~netrun.core.deps.MissingDependencyError` when genai-prices is not
    installed. A model priced only from a later day than ``at`` is left out.
    """
    table = default_price_table() if table is None else table
    day = at if at is not None else dt.datetime.now(dt.timezone.utc).date()
    source = _Source(dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc))
    builtin = default_price_table()
    models: list[ModelDrift] = []
    for provider, model in _keys(table):
        price = table.lookup(provider, model, day)
        if price is not None:
            origin = "built-in" if builtin.lookup(provider, model, day) == price else "override"
            models.append(_compare_model(source, (provider, model), price, origin, tolerance_pct))
    data = "bundled" if source.updated_at is None else f"updated {source.updated_at.isoformat()}"
    return DriftReport(
        source_version=distribution_version(SOURCE) or "unknown",
        source_data=data,
        at=day,
        tolerance_pct=tolerance_pct,
        models=tuple(models),
    )
