"""A server whose netrun JWT keys do not load answers a bearer token with 401, never 500.

Production without ``AUTH_JWT_PRIVATE_KEY`` (the example project then serves session logins
only) and a key that does not parse: ``manage.py check`` reports both (``netrun.auth.E001``,
``E004``), but gunicorn and uvicorn never run the checks, so a request must not find out by a
500. The error naming the setting is logged once per settings object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from netrun.auth import get_jwt_manager, reset_jwt_manager
from netrun.logging.testing import capture_logs
from tests.auth.conftest import KeyPair

pytestmark = pytest.mark.urls("tests.auth.urls")

MIDDLEWARE = "netrun.auth.middleware.JWTAuthenticationMiddleware"


@pytest.fixture(autouse=True)
def fresh_manager() -> Iterator[None]:
    reset_jwt_manager()
    yield
    reset_jwt_manager()


def _without_keys(**extra: Any) -> Any:
    # A JWT setting of its own makes a fresh settings object (and E001 reportable); no key.
    return override_settings(NETRUN_AUTH_JWT_ISSUER="https://helpdesk.example", **extra)


def _assert_token_invalid(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "TOKEN_INVALID"
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


@pytest.mark.parametrize("path", ["/plain/", "/api/me/"])
def test_without_keys_a_bearer_token_is_a_401_and_the_setting_is_logged_once(
    path: str, db: None
) -> None:
    middleware = [*settings.MIDDLEWARE, MIDDLEWARE] if path == "/plain/" else settings.MIDDLEWARE
    client = Client(raise_request_exception=False)
    with _without_keys(MIDDLEWARE=middleware), capture_logs() as logs:
        first = client.get(path, HTTP_AUTHORIZATION="Bearer x")
        second = client.get(path, HTTP_AUTHORIZATION="Bearer x")
    _assert_token_invalid(first)
    _assert_token_invalid(second)
    unavailable = [entry for entry in logs if entry["event"] == "auth_keys_unavailable"]
    assert len(unavailable) == 1
    assert unavailable[0]["log_level"] == "error"
    assert "AUTH_JWT_PRIVATE_KEY" in unavailable[0]["error"]
    assert "NETRUN_AUTH_JWT_PUBLIC_KEY" in unavailable[0]["hint"]
    failed = [entry["reason"] for entry in logs if entry["event"] == "auth_failed"]
    assert failed == ["no_verification_key", "no_verification_key"]
    # Requests without a token are not affected.
    assert client.get(path).status_code in (200, 401)


def test_a_key_that_does_not_load_is_a_401_too(db: None) -> None:
    with _without_keys(NETRUN_AUTH_JWT_PUBLIC_KEY="not a PEM"), capture_logs() as logs:
        response = Client().get("/api/me/", HTTP_AUTHORIZATION="Bearer x")
    _assert_token_invalid(response)
    assert [entry["event"] for entry in logs].count("auth_keys_unavailable") == 1


def test_once_the_keys_are_set_tokens_verify_again(rsa_keys: KeyPair, db: None) -> None:
    user = get_user_model().objects.create_user("grace", password="pw-123456")
    with _without_keys():
        _assert_token_invalid(Client().get("/api/me/", HTTP_AUTHORIZATION="Bearer x"))
    with override_settings(
        NETRUN_AUTH_JWT_PRIVATE_KEY=rsa_keys.private_pem,
        NETRUN_AUTH_JWT_PUBLIC_KEY=rsa_keys.public_pem,
    ):
        token = get_jwt_manager().create_access_token(user.pk)
        response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("key", [None, "not a PEM"])
def test_without_a_key_that_loads_the_jwks_document_is_empty_not_a_500(key: str | None) -> None:
    extra = {} if key is None else {"NETRUN_AUTH_JWT_PUBLIC_KEY": key}
    with _without_keys(**extra):
        response = Client(raise_request_exception=False).get("/.well-known/jwks.json")
    assert response.status_code == 200, response.content
    assert response.json() == {"keys": []}
    assert response["Content-Type"] == "application/jwk-set+json"
