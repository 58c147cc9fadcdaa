"""The dashboard's charts: server-side SVG with a table of the same numbers, and amounts.

No JavaScript and no CDN: every chart is inline SVG built with Django's ``format_html`` (so
every name and amount in it is escaped), followed by a ``<table>`` of its numbers. Each
series has a colour-blind-safe colour (Okabe-Ito) and a pattern of its own. Amounts are
written for their size (:func:`format_usd`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from netrun.llm.telemetry.dashboard.queries import BudgetUse, _utc
from netrun.llm.telemetry.records import Granularity, TimeBucket

__all__ = [
    "ChartColumn",
    "bar_chart_svg",
    "budget_bar_svg",
    "chart_table",
    "format_percent",
    "format_usd",
    "provider_spend_svg",
    "spend_chart_svg",
]

# Colour-blind-safe hues (Okabe-Ito), then greys; a ninth provider reuses the first.
_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#666")


# The telemetry table keeps ten decimals: nothing smaller exists to show.
_MAX_PLACES = 10


def format_usd(amount: Decimal | int | None) -> str:
    """An amount of USD written for its size, without the currency sign.

    From 1 up: two decimals and thousands separators (``1,234.50``). Below 1: four
    significant digits, at least two decimals, trailing zeros dropped (``0.50``,
    ``0.1235``, ``0.0005``), so small spend never reads as ``0.00``.
    """
    if amount is None:
        return "-"
    value = Decimal(amount)
    if value == 0:
        return "0.00"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    places = min(_MAX_PLACES, max(2, 3 - abs(value).adjusted()))
    text = f"{value:.{places}f}"
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


def format_percent(percent: float | None) -> str:
    """A share of a budget: ``<1%`` for a little spend, never ``100%`` before it is used up."""
    if percent is None:
        return "-"
    if 0 < percent < 1:
        return "<1%"
    if 99 < percent < 100:
        return "99%"
    return f"{percent:.0f}%"


def _svg(width: int, height: int, label: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" width="{}" '
        'height="{}" viewBox="0 0 {} {}">{}</svg>',
        label,
        width,
        height,
        width,
        height,
        body,
    )


@dataclass(frozen=True)
class ChartColumn:
    """One bar of a chart: its amount per series, its name on the axis and in full."""

    key: str  # in full: the bar's tooltip and the table's first column
    tick: str  # short: the x axis
    values: Mapping[str, Decimal]
    note: str = ""  # added to the tooltip and the table (the bucket's requests)

    @property
    def total(self) -> Decimal:
        return sum(self.values.values(), Decimal(0))


# A pattern over each series' colour, so that bars differ by more than colour: (angle, mark).
_HATCHES = (
    (0, ""),
    (45, '<rect width="2" height="6" fill="#fff" fill-opacity="0.65"/>'),
    (0, '<circle cx="3" cy="3" r="1.3" fill="#fff" fill-opacity="0.75"/>'),
    (-45, '<rect width="2" height="6" fill="#fff" fill-opacity="0.65"/>'),
    (0, '<rect width="6" height="2" fill="#fff" fill-opacity="0.65"/>'),
    (
        45,
        '<rect width="2" height="6" fill="#fff" fill-opacity="0.6"/>'
        '<rect width="6" height="2" fill="#fff" fill-opacity="0.6"/>',
    ),
    (90, '<rect width="2" height="6" fill="#000" fill-opacity="0.35"/>'),
    (0, ""),
)
_LEFT, _RIGHT, _TOP, _AXIS, _LEGEND_ROW, _LEGEND_ITEM = 76, 8, 16, 18, 18, 150
_MAX_BAR = 48
_MAX_TICKS = 8


def _nice_top(peak: Decimal) -> Decimal:
    """The axis' top: the first of 1, 2, 2.5, 5 or 10 times a power of ten at or above peak."""
    base = Decimal(1).scaleb(peak.adjusted())
    return next(step * base for step in (1, 2, Decimal("2.5"), 5, 10) if step * base >= peak)


def _patterns(chart_id: str, series: Sequence[str]) -> SafeString:
    return format_html_join(
        "",
        '<pattern id="{}" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate({})"><rect width="6" height="6" fill="{}"/>{}</pattern>',
        (
            (
                f"{chart_id}-s{index}",
                _HATCHES[index % len(_HATCHES)][0],
                _PALETTE[index % len(_PALETTE)],
                mark_safe(_HATCHES[index % len(_HATCHES)][1]),  # noqa: S308 (constants above)
            )
            for index in range(len(series))
        ),
    )


def bar_chart_svg(
    chart_id: str,
    label: str,
    columns: Sequence[ChartColumn],
    series: Sequence[str],
    width: int = 720,
    height: int = 160,
) -> SafeString:
    """Bars, stacked by series, with a y axis in USD, the amounts above the bars, a legend and
    a ``<table>`` of the same numbers, as inline SVG and HTML (no JavaScript).

    Each series has a colour-blind-safe colour (Okabe-Ito) and a pattern of its own, so the
    bars never differ by colour alone. A bar is at most 48 px wide, so one day of data is one
    bar, not a block across the chart. Amounts over a bar are left out where they would
    overlap their neighbours; every one is in the bar's tooltip and in the table.
    """
    top = _nice_top(max(column.total for column in columns))
    plot_width, n = width - _LEFT - _RIGHT, len(columns)
    slot = plot_width / n
    bar_width = max(1.0, min(slot * 0.7, _MAX_BAR))
    parts: list[SafeString] = [format_html("<defs>{}</defs>", _patterns(chart_id, series))]
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = _TOP + height - float(fraction) * height
        parts.append(
            format_html(
                '<line class="grid" x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{colour}"/>'
                '<text class="tick" x="{text_x}" y="{text_y}" text-anchor="end" '
                'font-size="10">{amount}</text>',
                left=_LEFT,
                right=width - _RIGHT,
                y=f"{y:.1f}",
                colour="#999" if fraction == 0 else "#ddd",
                text_x=_LEFT - 4,
                text_y=f"{y + 3:.1f}",
                amount=f"${format_usd(top * fraction)}",
            )
        )
    parts.append(
        format_html(
            '<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#999"/>',
            x=_LEFT,
            top=_TOP,
            bottom=_TOP + height,
        )
    )
    labelled_until = float("-inf")  # right edge of the last amount written over a bar
    every = math.ceil(n / _MAX_TICKS)
    for index, column in enumerate(columns):
        centre = _LEFT + (index + 0.5) * slot
        y = float(_TOP + height)
        for number, name in enumerate(series):
            amount = column.values.get(name, Decimal(0))
            if amount <= 0:
                continue
            bar = float(amount / top) * height
            y -= bar
            parts.append(
                format_html(
                    '<rect class="bar" x="{x}" y="{y}" width="{w}" height="{h}" '
                    'fill="url(#{pattern})" data-series="{name}" data-value="{value}">'
                    "<title>{key}{name_part}: ${value}{note}</title></rect>",
                    x=f"{centre - bar_width / 2:.1f}",
                    y=f"{y:.1f}",
                    w=f"{bar_width:.1f}",
                    h=f"{max(bar, 0.5):.1f}",
                    pattern=f"{chart_id}-s{number}",
                    name=name,
                    name_part=f" {name}" if name else "",
                    value=format_usd(amount),
                    key=column.key,
                    note=f" ({column.note})" if column.note else "",
                )
            )
        if column.total > 0:
            text = f"${format_usd(column.total)}"
            half = 3.2 * len(text) + 2  # about half the text's width at 10 px
            if centre - half >= labelled_until and centre + half <= width:
                labelled_until = centre + half
                parts.append(
                    format_html(
                        '<text class="value" x="{x}" y="{y}" text-anchor="middle" '
                        'font-size="10">{text}</text>',
                        x=f"{centre:.1f}",
                        y=f"{y - 3:.1f}",
                        text=text,
                    )
                )
        if index % every == 0:
            parts.append(
                format_html(
                    '<text class="day" x="{x}" y="{y}" text-anchor="middle" font-size="10">'
                    "{tick}</text>",
                    x=f"{centre:.1f}",
                    y=_TOP + height + 13,
                    tick=column.tick,
                )
            )
    legend_height = 0
    if len(series) > 1 or (series and series[0]):
        per_row = max(1, width // _LEGEND_ITEM)
        for index, name in enumerate(series):
            x = (index % per_row) * _LEGEND_ITEM + _LEFT
            y = _TOP + height + _AXIS + (index // per_row) * _LEGEND_ROW
            parts.append(
                format_html(
                    '<g class="legend"><rect x="{x}" y="{y}" width="14" height="14" '
                    'fill="url(#{pattern})" stroke="#666" stroke-width="0.5"/>'
                    '<text x="{text_x}" y="{text_y}" font-size="12">{name}</text></g>',
                    x=x,
                    y=y,
                    pattern=f"{chart_id}-s{index}",
                    text_x=x + 18,
                    text_y=y + 11,
                    name=name,
                )
            )
        legend_height = math.ceil(len(series) / per_row) * _LEGEND_ROW
    body = format_html_join("", "{}", ((part,) for part in parts))
    svg = _svg(width, _TOP + height + _AXIS + legend_height, label, body)
    return format_html("{}{}", svg, chart_table(label, columns, series))


def chart_table(label: str, columns: Sequence[ChartColumn], series: Sequence[str]) -> SafeString:
    """The chart's numbers as a table (the bars with an amount; amounts in USD)."""
    named = [name for name in series if name]
    heads = format_html_join("", '<th class="num" scope="col">{}</th>', ((name,) for name in named))
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}<td class="num total">{}</td><td>{}</td></tr>',
        (
            (
                column.key,
                format_html_join(
                    "",
                    '<td class="num">{}</td>',
                    ((format_usd(column.values.get(name, Decimal(0))),) for name in named),
                ),
                format_usd(column.total),
                column.note,
            )
            for column in columns
            if column.total > 0
        ),
    )
    return format_html(
        '<details class="chart-data"><summary>The numbers of this chart</summary>'
        "<table><caption>{} (USD; periods without spend left out)</caption><thead><tr>"
        '<th scope="col">Period</th>{}<th class="num" scope="col">Total</th><th scope="col">'
        "</th></tr></thead><tbody>{}</tbody></table></details>",
        label,
        heads,
        rows,
    )


def _tick(start: dt.datetime, granularity: Granularity) -> tuple[str, str]:
    if granularity == "hour":
        return f"{start:%Y-%m-%d %H:00}", f"{start:%d %Hh}"
    if granularity == "month":
        return f"{start:%Y-%m}", f"{start:%Y-%m}"
    return f"{start:%Y-%m-%d}", f"{start:%m-%d}"


def spend_chart_svg(
    series: list[TimeBucket],
    width: int = 720,
    height: int = 160,
    *,
    starts: Sequence[dt.datetime] = (),
    granularity: Granularity = "day",
) -> SafeString:
    """Bars of cost per hour, day or month, every bucket of ``starts`` on the axis (with or
    without requests); tooltips and the table carry the exact amounts and request counts."""
    if not any(bucket.requests for bucket in series):
        return format_html("<p>{}</p>", "No requests in this period.")
    buckets = {_utc(bucket.start): bucket for bucket in series}
    columns = []
    for start in sorted({*starts, *buckets}):
        bucket = buckets.get(start)
        key, tick = _tick(start, granularity)
        requests = bucket.requests if bucket else 0
        columns.append(
            ChartColumn(
                key=key,
                tick=tick,
                values={"": bucket.cost_usd if bucket else Decimal(0)},
                note=f"{requests} request{'' if requests == 1 else 's'}" if requests else "",
            )
        )
    if not any(column.total for column in columns):
        return format_html("<p>{}</p>", "No priced requests in this period.")
    return bar_chart_svg("spend-chart", "spend per period", columns, [""], width, height)


def provider_spend_svg(
    days: Sequence[dt.date],
    spend: Mapping[str, Mapping[dt.date, Decimal]],
    width: int = 720,
    height: int = 180,
) -> SafeString:
    """Spend per day as bars stacked by provider (see :func:`bar_chart_svg`).

    ``spend`` maps each provider to its cost per day; ``days`` is the axis, every day shown
    even without spend.
    """
    if not days or not any(any(per_day.values()) for per_day in spend.values()):
        return format_html("<p>{}</p>", "No priced requests in this period.")
    providers = sorted(spend)
    columns = [
        ChartColumn(
            key=day.isoformat(),
            tick=day.strftime("%m-%d"),
            values={name: spend[name].get(day, Decimal(0)) for name in providers},
        )
        for day in days
    ]
    return bar_chart_svg(
        "provider-chart", "spend per day by provider", columns, providers, width, height
    )


def budget_bar_svg(use: BudgetUse, width: int = 160) -> SafeString:
    """A bar of the share of the limit spent: amber from 80 %, red when used up; the share is
    written beside it (colour is never the only sign)."""
    percent = use.percent
    if percent is None:
        return format_html("<span>{}</span>", "no limit")
    colour = "#ba2121" if percent >= 100 else "#e0a800" if percent >= 80 else "#417690"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="budget-bar" role="img" aria-label="{}" '
        'width="{}" height="12" viewBox="0 0 {} 12"><rect width="{}" height="12" fill="#e8e8e8"/>'
        '<rect class="used" width="{}" height="12" fill="{}"/></svg> {}',
        f"{format_percent(percent)} of the budget",
        width,
        width,
        width,
        f"{min(percent, 100.0) * width / 100:.1f}",
        colour,
        format_percent(percent),
    )
