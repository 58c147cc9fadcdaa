"""The system checks of the alert settings: one test per id, and through ``manage.py check``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.llm.checks import check_budget_alerts

HOOK = "https://hooks.example.com/netrun"


def ids() -> list[str]:
    return [message.id or "" for message in check_budget_alerts()]


def test_the_defaults_and_a_complete_configuration_pass() -> None:
    assert ids() == []
    with override_settings(
        NETRUN_LLM_BUDGET_ALERT_THRESHOLDS=[50, 80, 100, 150],
        NETRUN_LLM_BUDGET_WEBHOOKS=[HOOK, "http://127.0.0.1:8080/hook"],
        NETRUN_LLM_BUDGET_WEBHOOK_SECRET="whsec-long-random",
    ):
        assert ids() == []


@pytest.mark.parametrize("thresholds", [[0, 50], [50, 1001], [50.0], ["80"], [True]])
def test_e060_thresholds_that_are_not_whole_percentages(thresholds: object) -> None:
    with override_settings(NETRUN_LLM_BUDGET_ALERT_THRESHOLDS=thresholds):
        [message] = check_budget_alerts()
    assert message.id == "netrun.llm.E060"
    assert "NETRUN_LLM_BUDGET_ALERT_THRESHOLDS" in message.msg


@override_settings(
    NETRUN_LLM_BUDGET_WEBHOOKS=["ftp://hooks.example.com", "hooks.example.com", 42, HOOK],
    NETRUN_LLM_BUDGET_WEBHOOK_SECRET="whsec-long-random",
)
def test_e061_webhooks_that_are_not_http_urls() -> None:
    messages = check_budget_alerts()
    assert [m.id for m in messages] == ["netrun.llm.E061"] * 3
    assert [m.msg.split(" ")[0] for m in messages] == [
        "NETRUN_LLM_BUDGET_WEBHOOKS[0]",
        "NETRUN_LLM_BUDGET_WEBHOOKS[1]",
        "NETRUN_LLM_BUDGET_WEBHOOKS[2]",
    ]


@pytest.mark.parametrize("secret", [None, ""])
def test_e062_webhooks_without_a_secret(secret: str | None) -> None:
    with override_settings(
        NETRUN_LLM_BUDGET_WEBHOOKS=[HOOK], NETRUN_LLM_BUDGET_WEBHOOK_SECRET=secret
    ):
        assert ids() == ["netrun.llm.E062"]


def test_e063_webhooks_without_celery(hide_modules: object) -> None:
    hide_modules("celery")  # type: ignore[operator]
    with override_settings(
        NETRUN_LLM_BUDGET_WEBHOOKS=[HOOK], NETRUN_LLM_BUDGET_WEBHOOK_SECRET="whsec-long-random"
    ):
        assert ids() == ["netrun.llm.E063"]


# Django 6.1's check command runs the model checks against the databases, and a JSONField's
# check asks SQLite whether it supports JSON.
@pytest.mark.django_db
@override_settings(NETRUN_LLM_BUDGET_ALERT_THRESHOLDS=[50, 0])
def test_manage_py_check_reports_them() -> None:
    with pytest.raises(SystemCheckError, match=r"netrun\.llm\.E060"):
        call_command("check", stdout=StringIO(), stderr=StringIO())
