from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.logging.checks import check_settings


def ids() -> list[str]:
    return [message.id for message in check_settings() if message.id]


def test_default_settings_pass() -> None:
    assert ids() == []


@override_settings(NETRUN_LOGGING_LEVEL="LOUD")
def test_e001_unknown_level() -> None:
    assert ids() == ["netrun.logging.E001"]


@override_settings(NETRUN_LOGGING_SENSITIVE_KEYS="password")
def test_e002_sensitive_keys_not_a_list() -> None:
    assert ids() == ["netrun.logging.E002"]


@override_settings(NETRUN_LOGGING_SENSITIVE_KEYS=["ok", ""])
def test_e002_empty_key() -> None:
    assert ids() == ["netrun.logging.E002"]


@override_settings(
    MIDDLEWARE=[
        "django.middleware.common.CommonMiddleware",
        "netrun.logging.middleware.CorrelationIdMiddleware",
    ]
)
def test_w001_middleware_not_first() -> None:
    assert ids() == ["netrun.logging.W001"]


@pytest.mark.django_db
@override_settings(NETRUN_LOGGING_LEVEL="LOUD")
def test_the_check_command_reports_the_error() -> None:
    with pytest.raises(SystemCheckError, match=r"netrun\.logging\.E001"):
        call_command("check")
