"""One test per system check id of netrun.oauth, and the checks through manage.py check."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from netrun.oauth.checks import check_hooks, check_providers, check_settings

GOOD = {"type": "google", "client_id": "id", "client_secret": "secret"}


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_valid_settings_pass(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"google": GOOD}
    assert check_providers() == []
    assert check_hooks() == []


@pytest.mark.parametrize("value", [["google"], {"google": "not a dict"}])
def test_e001_providers_must_be_a_dict_of_dicts(settings: Any, value: object) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = value
    assert ids(check_providers()) == ["netrun.oauth.E001"]


def test_e002_unknown_provider_type(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"okta": {**GOOD, "type": "okta"}}
    assert ids(check_providers()) == ["netrun.oauth.E002"]


def test_e003_missing_client_id(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"google": {**GOOD, "client_id": ""}}
    assert ids(check_providers()) == ["netrun.oauth.E003"]


def test_e004_missing_client_secret(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"google": {"type": "google", "client_id": "id"}}
    messages = check_providers()
    assert ids(messages) == ["netrun.oauth.E004"]
    assert "OAUTH_GOOGLE_CLIENT_SECRET" in (messages[0].hint or "")


def test_credentials_from_the_environment_satisfy_e003_and_e004(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTH_MY_IDP_CLIENT_ID", "id")
    monkeypatch.setenv("OAUTH_MY_IDP_CLIENT_SECRET", "secret")
    settings.NETRUN_OAUTH_PROVIDERS = {"my-idp": {"type": "google"}}
    assert check_providers() == []


def test_e005_plain_http_urls_outside_debug(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {
        "idp": {**GOOD, "type": "oidc", "discovery_url": "http://idp.example/.well-known/x",
                "redirect_uri": "http://app.example/cb"},
    }  # fmt: skip
    assert ids(check_providers()) == ["netrun.oauth.E005", "netrun.oauth.E005"]
    settings.DEBUG = True
    assert check_providers() == []


def test_e006_other_invalid_options(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"idp": {**GOOD, "id_token_algorithms": ["none"]}}
    messages = check_providers()
    assert ids(messages) == ["netrun.oauth.E006"]
    assert "none" in messages[0].msg


def test_e007_login_mode(settings: Any) -> None:
    settings.NETRUN_OAUTH_LOGIN_MODE = "cookie"
    assert ids(check_hooks()) == ["netrun.oauth.E007"]


def test_e008_hooks_that_cannot_be_imported_or_called(settings: Any) -> None:
    settings.NETRUN_OAUTH_TENANT_RESOLVER = "tests.oauth.fakes.missing"
    settings.NETRUN_OAUTH_TOKEN_ISSUER = "tests.oauth.fakes.NOT_CALLABLE"
    assert ids(check_hooks()) == ["netrun.oauth.E008", "netrun.oauth.E008"]


def test_e008_jwt_manager_is_checked_only_in_jwt_mode(settings: Any) -> None:
    settings.NETRUN_OAUTH_JWT_MANAGER = "netrun.auth.no_such_factory"
    assert check_hooks() == []
    settings.NETRUN_OAUTH_LOGIN_MODE = "jwt"
    messages = check_hooks()
    assert ids(messages) == ["netrun.oauth.E008"]
    assert "netrun.auth installed" in (messages[0].hint or "")


@pytest.mark.parametrize(
    ("rules", "tenant_map"), [(("tid", "ip"), {}), ("tid", {}), (("tid",), ["acme"])]
)
def test_e009_tenant_rules_and_map(settings: Any, rules: object, tenant_map: object) -> None:
    settings.NETRUN_OAUTH_TENANT_RULES = rules
    settings.NETRUN_OAUTH_TENANT_MAP = tenant_map
    assert ids(check_hooks()) == ["netrun.oauth.E009"]


def test_e010_a_setting_of_the_wrong_type(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"okta": {**GOOD, "type": "okta"}}
    settings.NETRUN_OAUTH_STATE_MAX_AGE = "ten minutes"
    messages = check_settings()
    assert ids(messages) == ["netrun.oauth.E010"]
    assert "NETRUN_OAUTH_STATE_MAX_AGE" in messages[0].msg
    # The others wait: the settings object they read cannot be built.
    assert check_providers() == check_hooks() == []
    settings.NETRUN_OAUTH_STATE_MAX_AGE = 60
    assert check_settings() == []
    assert ids(check_providers()) == ["netrun.oauth.E002"]


def test_w001_unknown_provider_option(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"google": {**GOOD, "client_secrte": "typo"}}
    assert ids(check_providers()) == ["netrun.oauth.W001"]


@pytest.mark.django_db
def test_manage_py_check_reports_oauth_errors(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"okta": {**GOOD, "type": "okta"}}
    with pytest.raises(SystemCheckError, match=r"netrun\.oauth\.E002"):
        call_command("check")


@pytest.mark.django_db
def test_manage_py_check_passes_with_valid_oauth_settings(settings: Any) -> None:
    settings.NETRUN_OAUTH_PROVIDERS = {"google": GOOD}
    call_command("check", fail_level="ERROR")
