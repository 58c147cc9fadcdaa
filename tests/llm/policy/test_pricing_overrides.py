"""Price overrides from NETRUN_LLM_PRICES and the admin, their system checks, and the cache
that keeps pricing a call free of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings
from pytest_django import DjangoAssertNumQueries

from netrun.llm.checks import check_prices
from netrun.llm.models import LLMPriceOverride
from netrun.llm.policy import PolicyEnforcer, TenantPolicy
from netrun.llm.policy import django as pricing_django
from netrun.llm.policy.pricing import (
    PriceRowError,
    cost_for,
    current_price_table,
    default_price_table,
    price_from_row,
)

TODAY = dt.date(2025, 12, 1)
ROW = {
    "provider": "openai",
    "model": "gpt-4o",
    "input": "2.00",
    "output": "8.00",
    "cache_read": "1.00",
    "effective_from": "2025-01-01",
}


class Usage:
    input_tokens = 1_000_000
    output_tokens = 1_000_000
    cache_read_tokens = 0
    cache_write_tokens = 0


@pytest.fixture(autouse=True)
def _fresh_prices() -> Iterator[None]:
    # Rolled-back test rows send no post_delete: drop the cached table around each test.
    pricing_django.invalidate_prices()
    yield
    pricing_django.invalidate_prices()


def _ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return [message.id or "" for message in check_prices()]


# ----------------------------------------------------------------- rows and settings


def test_a_row_parses_to_a_model_price_with_decimal_prices() -> None:
    price = price_from_row({**ROW, "provider": "Azure", "long_context_threshold": 128_000,
                            "long_context_input": 4})  # fmt: skip
    assert price.provider == "azure_openai"
    assert price.input_per_mtok == Decimal("2.00")
    assert price.cache_read_per_mtok == Decimal("1.00")
    assert price.cache_write_per_mtok is None
    assert price.effective_from == dt.date(2025, 1, 1)
    assert (price.long_context_threshold, price.long_context_input_per_mtok) == (128_000, 4)


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        (["openai"], "", "shape"),
        ({**ROW, "inptu": "1"}, "inptu", "shape"),
        ({k: v for k, v in ROW.items() if k != "output"}, "output", "shape"),
        ({**ROW, "input": 2.5}, "input", "value"),
        ({**ROW, "input": "-1"}, "input", "value"),
        ({**ROW, "output": "cheap"}, "output", "value"),
        ({**ROW, "effective_from": "01/02/2025"}, "effective_from", "value"),
        ({**ROW, "long_context_threshold": "200k"}, "long_context_threshold", "value"),
        ({**ROW, "long_context_output": "9"}, "long_context_output", "value"),
    ],
)
def test_a_bad_row_names_its_field(row: Any, field: str, problem: str) -> None:
    with pytest.raises(PriceRowError) as caught:
        price_from_row(row)
    assert (caught.value.field, caught.value.problem) == (field, problem)


def test_settings_rows_win_over_the_built_in_table() -> None:
    builtin = cost_for("openai", "gpt-4o", Usage(), at=TODAY)
    with override_settings(NETRUN_LLM_PRICES=[ROW]):
        assert cost_for("openai", "gpt-4o-2024-08-06", Usage(), at=TODAY) == Decimal(10)
        # The enforcer prices with the current table too.
        reservation = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=50)).reserve(
            provider="openai", model="gpt-4o", estimated_input_tokens=10**6, max_output_tokens=0
        )
        assert reservation.amount_usd == 2
        reservation.release()
    assert builtin == Decimal("12.5")
    assert cost_for("openai", "gpt-4o", Usage(), at=TODAY) == builtin


def test_a_bad_settings_row_is_left_out_and_the_good_ones_apply() -> None:
    with override_settings(NETRUN_LLM_PRICES=[{**ROW, "output": "x"}, {**ROW, "model": "o3"}]):
        assert cost_for("openai", "gpt-4o", Usage(), at=TODAY) == Decimal("12.5")
        assert cost_for("openai", "o3", Usage(), at=TODAY) == Decimal(10)


# ----------------------------------------------------------------- checks


def test_e005_a_row_with_a_missing_or_unknown_key() -> None:
    assert _ids(NETRUN_LLM_PRICES=[{**ROW, "inptu": "1"}]) == ["netrun.llm.E005"]
    assert _ids(NETRUN_LLM_PRICES=["gpt-4o"]) == ["netrun.llm.E005"]


def test_e005_names_the_row_and_the_field() -> None:
    with override_settings(NETRUN_LLM_PRICES=[ROW, {**ROW, "effective_from": None}]):
        [message] = check_prices()
    assert message.msg.startswith("NETRUN_LLM_PRICES[1] (openai/gpt-4o).effective_from:")
    assert "required" in message.msg


def test_e006_an_invalid_value() -> None:
    with override_settings(NETRUN_LLM_PRICES=[{**ROW, "cache_read": 0.1}]):
        [message] = check_prices()
    assert message.id == "netrun.llm.E006"
    assert "NETRUN_LLM_PRICES[0] (openai/gpt-4o).cache_read" in message.msg
    assert "float" in message.msg


def test_e007_two_rows_for_the_same_model_and_date() -> None:
    assert _ids(NETRUN_LLM_PRICES=[ROW, {**ROW, "output": "9"}]) == ["netrun.llm.E007"]
    assert _ids(NETRUN_LLM_PRICES=[ROW, {**ROW, "effective_from": "2025-06-01"}]) == []


def test_w002_an_unknown_provider() -> None:
    assert _ids(NETRUN_LLM_PRICES=[{**ROW, "provider": "opneai"}]) == ["netrun.llm.W002"]
    assert _ids(NETRUN_LLM_PRICES=[{**ROW, "provider": "claude"}]) == []


@pytest.mark.django_db
def test_the_check_command_fails_on_a_bad_row_and_passes_on_good_ones() -> None:
    with (
        override_settings(NETRUN_LLM_PRICES=[{**ROW, "input": "free"}]),
        pytest.raises(SystemCheckError, match=r"netrun\.llm\.E006"),
    ):
        call_command("check")
    with override_settings(NETRUN_LLM_PRICES=[ROW]):
        call_command("check")


# ----------------------------------------------------------------- admin


@pytest.mark.django_db
def test_admin_rows_win_over_settings_and_pricing_a_call_costs_no_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    with override_settings(NETRUN_LLM_PRICES=[ROW]):
        assert cost_for("openai", "gpt-4o", Usage(), at=TODAY) == Decimal(10)
        LLMPriceOverride.objects.create(
            provider="openai",
            model="gpt-4o",
            effective_from=dt.date(2025, 6, 1),
            input_per_mtok=Decimal("1.5"),
            output_per_mtok=Decimal("6"),
            note="negotiated",
        )
        assert cost_for("openai", "gpt-4o", Usage(), at=TODAY) == Decimal("7.5")
        with django_assert_num_queries(0):
            for _ in range(3):
                assert cost_for("openai", "gpt-4o", Usage(), at=TODAY) == Decimal("7.5")
        LLMPriceOverride.objects.all().delete()
        assert cost_for("openai", "gpt-4o", Usage(), at=TODAY) == Decimal(10)


@pytest.mark.django_db
def test_an_admin_row_with_a_long_context_tier() -> None:
    LLMPriceOverride.objects.create(
        provider="gemini",
        model="gemini-2.5-pro",
        effective_from=dt.date(2025, 1, 1),
        input_per_mtok=Decimal(1),
        output_per_mtok=Decimal(8),
        long_context_threshold=100_000,
        long_context_input_per_mtok=Decimal(2),
    )
    price = current_price_table().lookup("gemini", "gemini-2.5-pro", TODAY)
    assert price is not None
    assert price.for_prompt(100_001).input_per_mtok == 2
    assert price.for_prompt(100_001).output_per_mtok == 8
    assert default_price_table().lookup("gemini", "gemini-2.5-pro", TODAY) != price


@pytest.mark.django_db
def test_another_process_sees_an_admin_change_after_the_cache_lifetime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cost_for("anthropic", "claude-haiku-4-5", Usage(), at=TODAY) == 6
    # Written without signals, as another process's save looks from here.
    LLMPriceOverride.objects.bulk_create(
        [
            LLMPriceOverride(
                provider="anthropic",
                model="claude-haiku-4-5",
                effective_from=dt.date(2025, 1, 1),
                input_per_mtok=Decimal(1),
                output_per_mtok=Decimal(1),
            )
        ]
    )
    assert cost_for("anthropic", "claude-haiku-4-5", Usage(), at=TODAY) == 6
    clock = pricing_django.time.monotonic() + pricing_django.CACHE_SECONDS + 1
    monkeypatch.setattr(pricing_django.time, "monotonic", lambda: clock)
    assert cost_for("anthropic", "claude-haiku-4-5", Usage(), at=TODAY) == 2


@pytest.mark.django_db
def test_the_admin_lists_and_adds_price_overrides() -> None:
    User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    response = client.post(
        "/admin/netrun_llm/llmpriceoverride/add/",
        {
            "provider": "openai",
            "model": "gpt-4.1",
            "effective_from": "2025-05-01",
            "input_per_mtok": "1.00",
            "output_per_mtok": "4.00",
            "note": "EA discount",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert cost_for("openai", "gpt-4.1", Usage(), at=TODAY) == 5
    listing = client.get("/admin/netrun_llm/llmpriceoverride/")
    assert listing.status_code == 200
    assert b"gpt-4.1" in listing.content


@pytest.mark.django_db(transaction=True)
def test_pricing_from_an_event_loop_reads_the_admin_rows_in_a_worker_thread() -> None:
    import asyncio

    LLMPriceOverride.objects.create(
        provider="openai",
        model="o3",
        effective_from=dt.date(2025, 1, 1),
        input_per_mtok=Decimal(1),
        output_per_mtok=Decimal(1),
    )
    pricing_django.invalidate_prices()

    async def price() -> Decimal | None:
        # The ORM raises SynchronousOnlyOperation here; the price must still include the row.
        return cost_for("openai", "o3", Usage(), at=TODAY)

    assert asyncio.run(price()) == 2
