"""One test per system check id, and ``manage.py check`` end to end."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.checks import CheckMessage
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.cors.checks import (
    CORSHEADERS_MIDDLEWARE,
    NETRUN_MIDDLEWARE,
    check_csrf_trusted_origins,
    check_middleware,
    check_policy,
    check_view_policies,
)

COMMON = "django.middleware.common.CommonMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"


def ids(messages: list[CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages]


def policy_ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return ids(check_policy())


def test_the_default_configuration_passes() -> None:
    assert check_policy() == []


def test_e001_an_origin_with_a_path_or_userinfo_is_not_an_origin() -> None:
    found = policy_ids(
        NETRUN_CORS_ALLOWED_ORIGINS=["https://app.example.com/", "https://u@example.com"]
    )
    assert found == ["netrun.cors.E001", "netrun.cors.E001"]


def test_e002_an_origin_regex_that_does_not_compile() -> None:
    assert policy_ids(NETRUN_CORS_ALLOWED_ORIGIN_REGEXES=[r"https://(example\.com"]) == [
        "netrun.cors.E002"
    ]


def test_e003_wildcard_with_credentials() -> None:
    assert policy_ids(
        NETRUN_CORS_PRESET="custom",
        NETRUN_CORS_ALLOW_ALL_ORIGINS=True,
        NETRUN_CORS_ALLOW_CREDENTIALS=True,
    ) == ["netrun.cors.E003"]


def test_e003_a_star_origin_is_a_wildcard_too() -> None:
    # The development preset allows credentials by default.
    assert policy_ids(NETRUN_CORS_ALLOWED_ORIGINS=["*"]) == ["netrun.cors.E003"]


def test_e004_null_outside_development() -> None:
    assert policy_ids(NETRUN_CORS_PRESET="staging", NETRUN_CORS_ALLOWED_ORIGINS=["null"]) == [
        "netrun.cors.E004"
    ]
    assert policy_ids(NETRUN_CORS_ALLOWED_ORIGINS=["null"]) == []


def test_e005_http_origin_in_production() -> None:
    assert policy_ids(
        NETRUN_CORS_PRESET="production", NETRUN_CORS_ALLOWED_ORIGINS=["http://app.example.com"]
    ) == ["netrun.cors.E005"]


def test_e006_a_regex_that_matches_anything() -> None:
    assert policy_ids(NETRUN_CORS_ALLOWED_ORIGIN_REGEXES=[r"https?://.*"]) == ["netrun.cors.E006"]


def test_e007_wildcard_with_the_production_preset() -> None:
    assert policy_ids(
        NETRUN_CORS_PRESET="production",
        NETRUN_CORS_ALLOW_ALL_ORIGINS=True,
        NETRUN_CORS_ALLOW_CREDENTIALS=False,
    ) == ["netrun.cors.E007"]


def test_e008_development_preset_chosen_in_production() -> None:
    assert policy_ids(NETRUN_APP_ENVIRONMENT="production", NETRUN_CORS_PRESET="development") == [
        "netrun.cors.E008"
    ]
    # Left unset, the preset follows the environment instead.
    assert policy_ids(NETRUN_APP_ENVIRONMENT="production") == []


def test_e009_urls_regex_that_does_not_compile() -> None:
    assert policy_ids(NETRUN_CORS_URLS_REGEX="^/api/(") == ["netrun.cors.E009"]


def test_e010_both_cors_middlewares() -> None:
    with override_settings(MIDDLEWARE=[NETRUN_MIDDLEWARE, CORSHEADERS_MIDDLEWARE, COMMON]):
        assert ids(check_middleware()) == ["netrun.cors.E010"]


def test_w001_http_origin_in_staging() -> None:
    assert policy_ids(
        NETRUN_CORS_PRESET="staging",
        NETRUN_CORS_ALLOWED_ORIGINS=["http://staging.example.com", "http://localhost:3000"],
    ) == ["netrun.cors.W001"]


@pytest.mark.parametrize(
    "regex", [r"https://app.example\.com", r"https://.*example\.com"], ids=["dot", "glued"]
)
def test_w002_a_regex_that_lets_look_alike_domains_in(regex: str) -> None:
    assert policy_ids(NETRUN_CORS_ALLOWED_ORIGIN_REGEXES=[regex]) == ["netrun.cors.W002"]


def test_w002_is_quiet_for_escaped_dots_and_character_classes() -> None:
    assert (
        policy_ids(NETRUN_CORS_ALLOWED_ORIGIN_REGEXES=[r"https://[a-z0-9.-]+\.example\.com"]) == []
    )


def test_w003_credentialed_origin_missing_from_csrf_trusted_origins() -> None:
    with override_settings(
        MIDDLEWARE=[NETRUN_MIDDLEWARE, COMMON, CSRF],
        NETRUN_CORS_ALLOWED_ORIGINS=["https://app.example.com", "https://a.shop.example.com"],
        NETRUN_CORS_ALLOW_CREDENTIALS=True,
        CSRF_TRUSTED_ORIGINS=["https://*.shop.example.com"],
    ):
        messages = check_csrf_trusted_origins()
    assert ids(messages) == ["netrun.cors.W003"]
    assert "https://app.example.com" in messages[0].msg
    assert "a.shop.example.com" not in messages[0].msg


def test_w003_is_quiet_when_consistent_or_without_credentials() -> None:
    with override_settings(
        MIDDLEWARE=[NETRUN_MIDDLEWARE, COMMON, CSRF],
        NETRUN_CORS_ALLOWED_ORIGINS=["https://app.example.com"],
        CSRF_TRUSTED_ORIGINS=["https://app.example.com"],
    ):
        assert check_csrf_trusted_origins() == []
        with override_settings(NETRUN_CORS_ALLOW_CREDENTIALS=False, CSRF_TRUSTED_ORIGINS=[]):
            assert check_csrf_trusted_origins() == []
    with override_settings(MIDDLEWARE=[COMMON]):
        assert check_csrf_trusted_origins() == []


def test_w004_handwritten_corsheaders_settings_are_ignored() -> None:
    with override_settings(
        MIDDLEWARE=[NETRUN_MIDDLEWARE, COMMON], CORS_ALLOWED_ORIGINS=["https://a.example.com"]
    ):
        messages = check_middleware()
    assert ids(messages) == ["netrun.cors.W004"]
    assert "CORS_ALLOWED_ORIGINS is set" in messages[0].msg


def test_w005_middleware_after_common_middleware() -> None:
    with override_settings(MIDDLEWARE=[COMMON, NETRUN_MIDDLEWARE]):
        assert ids(check_middleware()) == ["netrun.cors.W005"]


def test_w006_no_cors_middleware() -> None:
    with override_settings(MIDDLEWARE=[COMMON]):
        assert ids(check_middleware()) == ["netrun.cors.W006"]
    with override_settings(MIDDLEWARE=[CORSHEADERS_MIDDLEWARE, COMMON]):
        assert check_middleware() == []


def test_sound_view_policies_pass() -> None:
    with override_settings(ROOT_URLCONF="tests.cors.urls"):
        assert check_view_policies() == []


def test_view_policies_inherit_the_project_settings() -> None:
    # The partner view sets its own origins; the read-only view inherits this http origin.
    with override_settings(
        ROOT_URLCONF="tests.cors.urls",
        NETRUN_CORS_PRESET="production",
        NETRUN_CORS_ALLOWED_ORIGINS=["http://app.example.com"],
    ):
        messages = check_view_policies()
    assert ids(messages) == ["netrun.cors.E005"]
    assert "ReadOnly" in messages[0].msg


def test_a_bad_view_policy_is_reported_with_the_view_name() -> None:
    with override_settings(ROOT_URLCONF="tests.cors.bad_urls"):
        messages = check_view_policies()
    assert ids(messages) == ["netrun.cors.E003", "netrun.cors.E005"]
    assert "tests.cors.bad_urls.wildcard" in messages[0].msg


def test_checks_stay_quiet_when_the_settings_do_not_validate() -> None:
    # netrun.config.E007 reports the invalid field itself.
    with override_settings(NETRUN_CORS_MAX_AGE=999999, ROOT_URLCONF="tests.cors.urls"):
        assert check_policy() == []
        assert check_view_policies() == []
        assert check_csrf_trusted_origins() == []


def full_middleware() -> list[str]:
    from django.conf import settings

    return [NETRUN_MIDDLEWARE, *settings.MIDDLEWARE]


@pytest.mark.django_db
def test_manage_py_check_reports_the_errors() -> None:
    with (
        override_settings(
            MIDDLEWARE=full_middleware(),
            NETRUN_CORS_PRESET="production",
            NETRUN_CORS_ALLOWED_ORIGINS=["http://app.example.com"],
        ),
        pytest.raises(SystemCheckError, match=r"netrun\.cors\.E005"),
    ):
        call_command("check", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_manage_py_check_passes_a_sound_configuration() -> None:
    out = StringIO()
    with override_settings(
        MIDDLEWARE=full_middleware(),
        NETRUN_CORS_PRESET="production",
        NETRUN_CORS_ALLOWED_ORIGINS=["https://app.example.com"],
    ):
        call_command("check", stdout=out, stderr=StringIO())
    assert "netrun.cors" not in out.getvalue()
