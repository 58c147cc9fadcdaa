"""netrun.errors system checks: one test per check id, and a run of manage.py check."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from io import StringIO

import pytest
from django.conf import settings
from django.core.checks import CheckMessage
from django.core.management import call_command
from django.test import override_settings

from netrun.errors import NetrunException, checks
from netrun.errors.checks import (
    check_drf_exception_handler,
    check_error_codes,
    check_settings,
)
from netrun.errors.drf import exception_handler

WITH_DRF = [*settings.INSTALLED_APPS]
WITHOUT_DRF = [app for app in settings.INSTALLED_APPS if app != "rest_framework"]


def ids(messages: Sequence[CheckMessage]) -> list[str | None]:
    return [m.id for m in messages]


def test_default_settings_pass() -> None:
    assert check_settings() == []
    assert check_error_codes() == []
    assert check_drf_exception_handler() == []


@override_settings(NETRUN_ERRORS_PROBLEM_JSON="yes")
def test_e001_problem_json_not_a_bool() -> None:
    messages = check_settings()
    assert ids(messages) == ["netrun.errors.E001"]
    assert "str" in messages[0].msg


@pytest.mark.parametrize("value", ["/api/", ["api/"], [1], None])
def test_e002_json_path_prefixes_not_a_list_of_paths(value: object) -> None:
    with override_settings(NETRUN_ERRORS_JSON_PATH_PREFIXES=value):
        assert ids(check_settings()) == ["netrun.errors.E002"]


@override_settings(NETRUN_ERRORS_JSON_PATH_PREFIXES=[])
def test_e002_accepts_an_empty_list() -> None:
    assert check_settings() == []


def test_e003_duplicate_error_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    class First(NetrunException):
        error_code = "NETRUN_TEST_DUPLICATE"

    class Second(NetrunException):
        error_code = "NETRUN_TEST_DUPLICATE"

    class Child(First):  # inherits the code: not a duplicate
        pass

    with monkeypatch.context() as patch:
        patch.setattr(checks, "iter_error_classes", [First, Second, Child].__iter__)
        messages = check_error_codes()
    assert ids(messages) == ["netrun.errors.E003"]
    assert "First" in messages[0].msg
    assert "Second" in messages[0].msg
    assert "Child" not in messages[0].msg

    # The registry holds classes weakly: drop these so later checks do not report them.
    del First, Second, Child
    gc.collect()
    assert check_error_codes() == []


@override_settings(INSTALLED_APPS=WITH_DRF, REST_FRAMEWORK={})
def test_w001_drf_without_the_netrun_handler() -> None:
    assert ids(check_drf_exception_handler()) == ["netrun.errors.W001"]


@pytest.mark.parametrize("handler", ["netrun.errors.drf.exception_handler", exception_handler])
def test_w001_silent_with_the_netrun_handler(handler: object) -> None:
    with override_settings(INSTALLED_APPS=WITH_DRF, REST_FRAMEWORK={"EXCEPTION_HANDLER": handler}):
        assert check_drf_exception_handler() == []


def test_w001_silent_without_drf_installed() -> None:
    with override_settings(INSTALLED_APPS=WITHOUT_DRF, REST_FRAMEWORK={}):
        assert check_drf_exception_handler() == []


@pytest.mark.django_db
def test_checks_are_registered_and_manage_py_check_passes() -> None:
    out = StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()


@pytest.mark.django_db
@override_settings(NETRUN_ERRORS_PROBLEM_JSON="yes")
def test_manage_py_check_reports_our_errors() -> None:
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError, match=r"netrun\.errors\.E001"):
        call_command("check", stdout=StringIO(), stderr=StringIO())
