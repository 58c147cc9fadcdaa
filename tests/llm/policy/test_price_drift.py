"""The price drift report: netrun's price table beside the genai-prices package's bundled data,
through ``manage.py netrun_llm_price_drift`` and ``netrun llm price-drift``."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from netrun.core.cli import main
from netrun.llm.models import LLMPriceOverride
from netrun.llm.policy import django as pricing_django
from netrun.llm.policy.pricing import current_price_table, normalize_provider
from tests._require import require_module

ROOT = Path(__file__).resolve().parents[3]
DAY = "2026-01-15"
STATUSES = {"same", "drift", "missing-in-source", "netrun-only"}
RATES = ["input", "output", "cache_read", "cache_write"]


@pytest.fixture
def genai_prices() -> ModuleType:
    if sys.version_info < (3, 11):
        # It does not install there; test_without_genai_prices_* pins what the commands say.
        pytest.xfail("genai-prices needs Python 3.11+")
    return require_module("genai_prices", install="pip install -e '.[prices]'")


@pytest.fixture(autouse=True)
def _fresh_prices() -> Iterator[None]:
    # Rolled-back test rows send no post_delete: drop the cached table around each test.
    pricing_django.invalidate_prices()
    yield
    pricing_django.invalidate_prices()


def _source_rate(genai_prices: ModuleType, provider: str, model: str, rate: str) -> Decimal:
    """USD per 1M tokens genai-prices bills for one short-prompt token of ``rate``."""
    tokens = {
        "input": {"input_tokens": 1000},
        "output": {"output_tokens": 1000},
        "cache_read": {"input_tokens": 1000, "cache_read_tokens": 1000},
        "cache_write": {"input_tokens": 1000, "cache_write_tokens": 1000},
    }[rate]
    calculation = genai_prices.calc_price(
        genai_prices.Usage(**tokens),
        model,
        provider_id=provider,
        genai_request_timestamp=dt.datetime(2026, 1, 15, 12, tzinfo=dt.timezone.utc),
    )
    return Decimal(calculation.total_price) * 1000


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _report(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("netrun_llm_price_drift", "--json", "--date", DAY, *args, stdout=out)
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def _row(report: dict[str, Any], provider: str, model: str) -> dict[str, Any]:
    (row,) = [m for m in report["models"] if (m["provider"], m["model"]) == (provider, model)]
    return row


def _rate(row: dict[str, Any], rate: str, above: int | None = None) -> dict[str, Any]:
    (found,) = [r for r in row["rates"] if (r["rate"], r["above"]) == (rate, above)]
    return found


def _plant(input_price: Decimal, genai_prices: ModuleType) -> dict[str, str]:
    """A NETRUN_LLM_PRICES row for openai/gpt-4o: the source's prices, but ``input_price``."""
    rates = {rate: _source_rate(genai_prices, "openai", "gpt-4o", rate) for rate in RATES}
    return {
        "provider": "openai",
        "model": "gpt-4o",
        "input": str(input_price),
        "output": str(rates["output"]),
        "cache_read": str(rates["cache_read"]),
        "cache_write": str(rates["cache_write"]),
        "effective_from": "2025-01-01",
    }


@pytest.mark.django_db
def test_every_model_of_the_table_is_reported_with_a_status(genai_prices: ModuleType) -> None:
    report = _report()

    day = dt.date.fromisoformat(DAY)
    table = current_price_table()
    keys = {(normalize_provider(row.provider), row.model.lower()) for row in table}
    in_force = {key for key in keys if table.lookup(*key, day) is not None}
    assert {(m["provider"], m["model"]) for m in report["models"]} == in_force
    assert len(report["models"]) == len(in_force) > 40
    assert report["source"] == {
        "package": "genai-prices",
        "version": genai_prices.__version__,
        "data": "bundled",
    }
    assert report["at"] == DAY
    statuses = [m["status"] for m in report["models"]]
    assert set(statuses) <= STATUSES
    assert report["summary"] == {status: statuses.count(status) for status in STATUSES}
    # Ollama's free local models: a provider genai-prices does not cover.
    assert _row(report, "ollama", "*")["status"] == "netrun-only"

    compared = [m for m in report["models"] if m["status"] in ("same", "drift")]
    assert len(compared) > 40
    for model in compared:
        price = table.lookup(model["provider"], model["model"], day)
        assert price is not None
        assert model["origin"] == "built-in"
        ours = _rate(model, "input")
        assert Decimal(ours["netrun"]) == price.input_per_mtok
        assert Decimal(_rate(model, "output")["netrun"]) == price.output_per_mtok
        for rate in RATES:
            short = _rate(model, rate)
            expected = _source_rate(genai_prices, model["source_provider"], model["model"], rate)
            assert Decimal(short["source"]) == expected, (model["model"], rate)
        for rate in model["rates"]:
            if rate["difference_pct"] is not None:
                assert rate["drift"] is (abs(rate["difference_pct"]) > 1.0)
        drifts = any(rate["drift"] for rate in model["rates"])
        assert model["status"] == ("drift" if drifts else "same")


@pytest.mark.django_db
def test_a_planted_drift_is_reported_with_its_relative_difference(
    genai_prices: ModuleType,
) -> None:
    source_input = _source_rate(genai_prices, "openai", "gpt-4o", "input")
    planted = _plant(source_input * Decimal("1.2"), genai_prices)

    with override_settings(NETRUN_LLM_PRICES=[planted]):
        report = _report()
        text = StringIO()
        call_command("netrun_llm_price_drift", "--date", DAY, stdout=text)

    row = _row(report, "openai", "gpt-4o")
    assert row["status"] == "drift"
    assert row["origin"] == "override"
    assert row["effective_from"] == "2025-01-01"
    drifted = _rate(row, "input")
    assert drifted["drift"] is True
    assert Decimal(drifted["netrun"]) == source_input * Decimal("1.2")
    assert Decimal(drifted["source"]) == source_input
    assert drifted["difference_pct"] == pytest.approx(20.0)
    assert [r["rate"] for r in row["rates"] if r["drift"]] == ["input"]
    # The override is openai's: Azure's gpt-4o keeps the built-in row.
    assert _row(report, "azure_openai", "gpt-4o")["origin"] == "built-in"
    line = next(line for line in text.getvalue().splitlines() if " openai/gpt-4o " in line)
    planted_input = _plain(source_input * Decimal("1.2"))
    assert line.startswith("drift ")
    assert line.endswith(f"input {planted_input} vs {_plain(source_input)} (+20.00%)")
    assert "WARNING:" in text.getvalue()
    assert "openai/gpt-4o" in text.getvalue().splitlines()[-1]


@pytest.mark.django_db
def test_fail_on_drift_exits_1_naming_the_models_and_only_then(genai_prices: ModuleType) -> None:
    # A tolerance of 1000% leaves today's drifts of the package data alone; the planted
    # price is 30 times the source's (+2900%).
    _report("--tolerance", "1000", "--fail-on-drift")

    source_input = _source_rate(genai_prices, "openai", "gpt-4o", "input")
    with override_settings(NETRUN_LLM_PRICES=[_plant(source_input * 30, genai_prices)]):
        report = _report("--tolerance", "1000")  # without the flag: a report, exit 0
        with pytest.raises(CommandError, match=r"genai-prices: openai/gpt-4o$") as excinfo:
            _report("--tolerance", "1000", "--fail-on-drift")
    assert excinfo.value.returncode == 1
    assert [m["model"] for m in report["models"] if m["status"] == "drift"] == ["gpt-4o"]
    assert _rate(_row(report, "openai", "gpt-4o"), "input")["difference_pct"] == 2900.0


@pytest.mark.django_db
def test_tolerance_decides_what_counts_as_drift(genai_prices: ModuleType) -> None:
    source_input = _source_rate(genai_prices, "openai", "gpt-4o", "input")
    with override_settings(
        NETRUN_LLM_PRICES=[_plant(source_input * Decimal("1.005"), genai_prices)]
    ):
        default = _row(_report(), "openai", "gpt-4o")
        strict = _row(_report("--tolerance", "0.1"), "openai", "gpt-4o")
    assert default["status"] == "same"
    assert strict["status"] == "drift"
    assert _rate(strict, "input")["difference_pct"] == pytest.approx(0.5)
    with pytest.raises(CommandError, match="invalid percent value"):
        _report("--tolerance", "-1")


@pytest.mark.django_db
def test_an_admin_price_row_is_compared_as_an_override(genai_prices: ModuleType) -> None:
    LLMPriceOverride.objects.create(
        provider="anthropic",
        model="claude-haiku-4-5",
        effective_from=dt.date(2025, 11, 1),
        input_per_mtok=Decimal("0.5"),
        output_per_mtok=Decimal(5),
        cache_read_per_mtok=Decimal("0.1"),
        cache_write_per_mtok=Decimal("1.25"),
        note="negotiated",
    )
    row = _row(_report(), "anthropic", "claude-haiku-4-5")
    source_input = _source_rate(genai_prices, "anthropic", "claude-haiku-4-5", "input")
    assert row["origin"] == "override"
    assert row["status"] == "drift"
    assert _rate(row, "input")["difference_pct"] == pytest.approx(
        float((Decimal("0.5") - source_input) / source_input * 100)
    )


@pytest.mark.django_db
def test_long_context_prices_are_compared_above_each_threshold(genai_prices: ModuleType) -> None:
    # gemini-2.5-pro: $1.25 input up to 200k prompt tokens, $2.50 above (netrun's table); a
    # planted row with the tier moved to 100k is compared above 100k and above 200k.
    row_of = {
        "provider": "gemini",
        "model": "gemini-2.5-pro",
        "input": "1.25",
        "output": "10",
        "cache_read": "0.125",
        "effective_from": "2025-06-17",
        "long_context_threshold": 100_000,
        "long_context_input": "2.50",
        "long_context_output": "15",
        "long_context_cache_read": "0.25",
    }
    with override_settings(NETRUN_LLM_PRICES=[row_of]):
        row = _row(_report(), "gemini", "gemini-2.5-pro")
    assert sorted({r["above"] for r in row["rates"] if r["above"] is not None}) == [
        100_000,
        200_000,
    ]
    assert Decimal(_rate(row, "input", 100_000)["netrun"]) == Decimal("2.50")
    assert Decimal(_rate(row, "input", 200_000)["netrun"]) == Decimal("2.50")
    # At 100,001 prompt tokens the source still bills its base price: the moved tier drifts.
    short_input = _source_rate(genai_prices, "google", "gemini-2.5-pro", "input")
    assert Decimal(_rate(row, "input", 100_000)["source"]) == short_input
    assert _rate(row, "input", 100_000)["drift"] is (short_input != Decimal("2.5"))
    assert row["status"] == "drift"


def test_the_console_script_compares_the_built_in_table(genai_prices: ModuleType) -> None:
    runner = CliRunner()
    env = {"DJANGO_SETTINGS_MODULE": None}
    result = runner.invoke(main, ["llm", "price-drift", "--json", "--date", DAY], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {m["origin"] for m in report["models"]} == {"built-in"}
    assert {m["status"] for m in report["models"]} <= STATUSES

    calm = ["llm", "price-drift", "--tolerance", "1000", "--fail-on-drift", "--date", DAY]
    assert runner.invoke(main, calm, env=env).exit_code == 0
    strict = ["llm", "price-drift", "--tolerance", "0", "--fail-on-drift", "--date", DAY]
    failed = runner.invoke(main, strict, env=env)
    # Exit 1 only if some model differs at all; the text report says which.
    drifts = any(m["status"] == "drift" for m in report["models"])
    assert failed.exit_code == (1 if drifts else 0)
    assert failed.stdout.splitlines()[0].startswith("netrun's LLM prices in force on 2026-01-15")


def test_the_report_reads_the_bundled_data_and_opens_no_socket(genai_prices: ModuleType) -> None:
    # An audit hook refuses every socket in the child: the report must still be made.
    script = (
        "import sys\n"
        "def refuse(event, args):\n"
        "    if event.startswith('socket.'):\n"
        "        raise PermissionError(f'no network in this test: {event}')\n"
        "sys.addaudithook(refuse)\n"
        "import socket\n"
        "try:\n"
        "    socket.socket()\n"
        "except PermissionError:\n"
        "    print('sockets refused', file=sys.stderr)\n"
        "from netrun.core.cli import main\n"
        "main(['llm', 'price-drift', '--json'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert "sockets refused" in result.stderr
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # stdout is the document alone
    assert report["source"]["data"] == "bundled"
    assert report["summary"]["same"] + report["summary"]["drift"] > 40


@pytest.mark.django_db
def test_without_genai_prices_the_commands_name_the_package_and_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # import genai_prices fails

    with pytest.raises(CommandError) as excinfo:
        _report()
    assert excinfo.value.returncode == 2
    message = str(excinfo.value)
    assert "'genai-prices'" in message
    assert 'pip install "netrun[prices]"' in message
    assert "Python 3.11+" in message
    assert "`test` dependency group" in message

    result = CliRunner().invoke(
        main, ["llm", "price-drift", "--json"], env={"DJANGO_SETTINGS_MODULE": None}
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert 'pip install "netrun[prices]"' in result.stderr
