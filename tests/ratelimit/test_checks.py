from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.ratelimit.backends.memory import MemoryBackend
from netrun.ratelimit.checks import check_settings


def _ids(errors: list[Any]) -> list[str]:
    return [error.id for error in errors]


def not_a_backend() -> object:
    return object()


NOT_CALLABLE = 42


def test_default_settings_pass() -> None:
    assert check_settings() == []


@override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="100/fortnight")
def test_e001_bad_rate_string_names_the_setting_and_the_string() -> None:
    errors = check_settings()
    assert _ids(errors) == ["netrun.ratelimit.E001"]
    assert "NETRUN_RATELIMIT_MIDDLEWARE_RATE" in errors[0].msg
    assert "'100/fortnight'" in errors[0].msg


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"user": "lots", "anon": None}})
def test_e001_also_covers_drf_throttle_rates() -> None:
    errors = check_settings()
    assert _ids(errors) == ["netrun.ratelimit.E001"]
    assert "DEFAULT_THROTTLE_RATES']['user']" in errors[0].msg


@pytest.mark.parametrize(
    "path",
    [
        "netrun.ratelimit.backends.Nope",
        "no.such.module.Backend",
        "nodots",
        "tests.ratelimit.test_checks.NOT_CALLABLE",
        "netrun.ratelimit.Rate",
    ],
)
def test_e002_unknown_backend_path(path: str) -> None:
    with override_settings(NETRUN_RATELIMIT_BACKEND=path):
        errors = check_settings()
    assert _ids(errors) == ["netrun.ratelimit.E002"]
    assert repr(path) in errors[0].msg


@pytest.mark.parametrize("value", [-1, "many"])
def test_e003_bad_trusted_proxy_count(value: object) -> None:
    with override_settings(NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT=value):
        errors = check_settings()
    assert _ids(errors) == ["netrun.ratelimit.E003"]
    assert "NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT" in errors[0].msg


@pytest.mark.parametrize("key", ["ipp", "cookie:x", "no.such.key_function"])
def test_e004_unknown_middleware_key(key: str) -> None:
    with override_settings(NETRUN_RATELIMIT_MIDDLEWARE_KEY=key):
        assert _ids(check_settings()) == ["netrun.ratelimit.E004"]


@override_settings(NETRUN_RATELIMIT_BACKEND="redis")
def test_e005_redis_backend_without_a_url() -> None:
    errors = check_settings()
    assert _ids(errors) == ["netrun.ratelimit.E005"]
    assert "NETRUN_RATELIMIT_REDIS_URL" in errors[0].msg


@override_settings(NETRUN_RATELIMIT_BACKEND="redis", NETRUN_RATELIMIT_REDIS_URL="redis://127.0.0.1")
def test_e005_redis_backend_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("netrun.ratelimit.checks.is_available", lambda module: module != "redis")
    errors = check_settings()
    assert _ids(errors) == ["netrun.ratelimit.E005"]
    assert "pip install" in errors[0].msg


@override_settings(NETRUN_RATELIMIT_ERROR_LOG_INTERVAL=-5)
def test_e006_any_other_invalid_setting() -> None:
    errors = check_settings()
    assert _ids(errors) == ["netrun.ratelimit.E006"]
    assert "NETRUN_RATELIMIT_ERROR_LOG_INTERVAL" in errors[0].msg


@override_settings(NETRUN_RATELIMIT_BACKEND="tests.ratelimit.test_checks.not_a_backend")
def test_a_factory_is_accepted_by_the_check_and_refused_when_built() -> None:
    from netrun.ratelimit.conf import get_backend

    assert check_settings() == []
    with pytest.raises(TypeError, match="did not build a Backend"):
        get_backend()


@override_settings(NETRUN_RATELIMIT_BACKEND="netrun.ratelimit.backends.memory.MemoryBackend")
def test_a_dotted_backend_path_builds_that_backend() -> None:
    from netrun.ratelimit.conf import get_backend

    assert isinstance(get_backend(), MemoryBackend)


def _check_output() -> str:
    """What ``manage.py check`` reports; other apps' errors are not this test's business."""
    try:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    except SystemCheckError as error:
        return str(error)
    return ""


@pytest.mark.django_db
def test_the_check_is_registered_with_manage_py_check() -> None:
    assert "netrun.ratelimit" not in _check_output()
    with override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="oops"):
        assert "netrun.ratelimit.E001" in _check_output()


def test_errors_are_django_errors() -> None:
    with override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="oops"):
        assert all(isinstance(error, Error) for error in check_settings())
