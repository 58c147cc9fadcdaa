"""System checks netrun.auth.E001-E009, W001, W004, W005: one test per id, and `manage.py check`."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from netrun.auth.checks import check_auth_settings
from tests.auth.conftest import KeyPair


def _ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return [message.id for message in check_auth_settings() if message.id]


def test_unused_app_is_not_reported() -> None:
    assert _ids() == []


def test_valid_configuration_is_clean(rsa_keys: KeyPair) -> None:
    assert _ids(NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem) == []


def test_e001_rs256_without_keys() -> None:
    assert _ids(NETRUN_AUTH_JWT_ISSUER="https://auth.test") == ["netrun.auth.E001"]


def test_e002_hs256_with_short_or_missing_secret() -> None:
    assert _ids(NETRUN_AUTH_JWT_ALGORITHM="HS256", NETRUN_AUTH_JWT_SECRET="short") == [
        "netrun.auth.E002"
    ]
    assert _ids(NETRUN_AUTH_JWT_ALGORITHM="HS512", NETRUN_AUTH_JWT_SECRET="x" * 40) == [
        "netrun.auth.E002"
    ]
    assert _ids(NETRUN_AUTH_JWT_ALGORITHM="HS256", NETRUN_AUTH_JWT_SECRET="x" * 32) == []


@pytest.mark.parametrize(("access", "refresh"), [(0, 100), (100, -1), (600, 600)])
def test_e003_bad_lifetimes(rsa_keys: KeyPair, access: int, refresh: int) -> None:
    assert _ids(
        NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem,
        NETRUN_AUTH_ACCESS_TOKEN_LIFETIME=access,
        NETRUN_AUTH_REFRESH_TOKEN_LIFETIME=refresh,
    ) == ["netrun.auth.E003"]


def test_e004_keys_that_do_not_load(ec_keys: KeyPair) -> None:
    assert _ids(NETRUN_AUTH_JWT_PRIVATE_KEY=ec_keys.private_pem) == ["netrun.auth.E004"]
    assert _ids(NETRUN_AUTH_JWT_PUBLIC_KEY="not a pem") == ["netrun.auth.E004"]


@pytest.mark.parametrize("leeway", [-1, 301])
def test_e005_leeway(rsa_keys: KeyPair, leeway: int) -> None:
    assert _ids(NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem, NETRUN_AUTH_LEEWAY=leeway) == [
        "netrun.auth.E005"
    ]


def test_e006_half_configured_idp(rsa_keys: KeyPair) -> None:
    assert _ids(
        NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem,
        NETRUN_AUTH_IDP_JWKS_URL="https://login.test/keys",
    ) == ["netrun.auth.E006"]


def test_e007_denylist_backend(rsa_keys: KeyPair) -> None:
    key = {"NETRUN_AUTH_JWT_PRIVATE_KEY": rsa_keys.private_pem}
    assert _ids(**key, NETRUN_AUTH_DENYLIST="redis") == ["netrun.auth.E007"]
    assert _ids(**key, NETRUN_AUTH_DENYLIST_CACHE_ALIAS="nope") == ["netrun.auth.E007"]


def test_w001_per_process_denylist_in_production(rsa_keys: KeyPair) -> None:
    key = {"NETRUN_AUTH_JWT_PRIVATE_KEY": rsa_keys.private_pem}
    assert _ids(**key, NETRUN_APP_ENVIRONMENT="production") == ["netrun.auth.W001"]
    assert _ids(**key, NETRUN_APP_ENVIRONMENT="production", NETRUN_AUTH_DENYLIST="memory") == [
        "netrun.auth.W001"
    ]


def test_e008_negative_verify_cache_size(rsa_keys: KeyPair) -> None:
    key = {"NETRUN_AUTH_JWT_PRIVATE_KEY": rsa_keys.private_pem}
    assert _ids(**key, NETRUN_AUTH_VERIFY_CACHE_SIZE=-1) == ["netrun.auth.E008"]
    assert _ids(**key, NETRUN_AUTH_VERIFY_CACHE_SIZE=0) == []


def test_e009_cookie_samesite(rsa_keys: KeyPair) -> None:
    key = {"NETRUN_AUTH_JWT_PRIVATE_KEY": rsa_keys.private_pem}
    assert _ids(**key, NETRUN_AUTH_COOKIE_SAMESITE="Loose") == ["netrun.auth.E009"]
    none = {**key, "NETRUN_AUTH_COOKIE_SAMESITE": "None"}
    assert _ids(**none, NETRUN_AUTH_COOKIE_SECURE=False) == ["netrun.auth.E009"]
    assert _ids(**none) == []
    assert _ids(**key, NETRUN_AUTH_COOKIE_SAMESITE="Strict") == []


def test_w004_cookie_transport_without_csrf_middleware(rsa_keys: KeyPair) -> None:
    from django.conf import settings

    on = {"NETRUN_AUTH_JWT_PRIVATE_KEY": rsa_keys.private_pem, "NETRUN_AUTH_COOKIE_TRANSPORT": True}
    assert _ids(**on) == []
    without = [name for name in settings.MIDDLEWARE if not name.endswith("CsrfViewMiddleware")]
    assert _ids(**on, MIDDLEWARE=without) == ["netrun.auth.W004"]


def test_w005_insecure_cookies_in_production(rsa_keys: KeyPair) -> None:
    on = {
        "NETRUN_AUTH_JWT_PRIVATE_KEY": rsa_keys.private_pem,
        "NETRUN_AUTH_COOKIE_TRANSPORT": True,
        "NETRUN_AUTH_COOKIE_SECURE": False,
        "NETRUN_AUTH_DENYLIST": "redis",
        "NETRUN_AUTH_DENYLIST_REDIS_URL": "redis://127.0.0.1:6379/1",
    }
    assert _ids(**on) == []
    assert _ids(**on, NETRUN_APP_ENVIRONMENT="production") == ["netrun.auth.W005"]


def test_invalid_settings_are_left_to_netrun_config() -> None:
    assert _ids(NETRUN_AUTH_JWT_ALGORITHM="none") == []


@pytest.mark.django_db
def test_call_command_check(rsa_keys: KeyPair) -> None:
    with override_settings(NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem):
        call_command("check")
    with (
        override_settings(NETRUN_AUTH_JWT_ISSUER="https://auth.test"),
        pytest.raises(SystemCheckError, match=r"netrun\.auth\.E001"),
    ):
        call_command("check")
