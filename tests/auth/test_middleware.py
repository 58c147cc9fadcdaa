"""JWTAuthenticationMiddleware for plain views, sync and async; the JWKS view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import AsyncClient, Client, override_settings

from netrun.auth import get_jwt_manager
from netrun.auth.keys import JWTKey
from netrun.core.context import current_tenant_id, current_user_id

pytestmark = [pytest.mark.urls("tests.auth.urls"), pytest.mark.usefixtures("auth_settings")]

MIDDLEWARE = "netrun.auth.middleware.JWTAuthenticationMiddleware"


@pytest.fixture(autouse=True)
def jwt_middleware() -> Iterator[None]:
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, MIDDLEWARE]):
        yield


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user("grace", password="pw-123456")


def test_plain_view_sees_user_claims_and_context(client: Client, user: Any) -> None:
    token = get_jwt_manager().create_access_token(user.pk, tenant_id="acme")
    body = client.get("/plain/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body == {
        "authenticated": True, "user": str(user.pk), "auth": True,
        "ctx_user": str(user.pk), "ctx_tenant": "acme",
    }  # fmt: skip
    assert current_user_id() is None
    assert current_tenant_id() is None


def test_no_token_passes_through(client: Client, db: None) -> None:
    body = client.get("/plain/").json()
    assert body["authenticated"] is False
    assert body["ctx_user"] is None


def test_bad_token_is_answered_with_the_401_envelope(client: Client, db: None) -> None:
    response = client.get("/plain/", HTTP_AUTHORIZATION="Bearer x.y.z")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert client.get("/plain/", HTTP_AUTHORIZATION="Bearer").status_code == 401
    problem = client.get(
        "/plain/", HTTP_AUTHORIZATION="Bearer x.y.z", HTTP_ACCEPT="application/problem+json"
    )
    assert problem["Content-Type"] == "application/problem+json"


def test_drf_views_reuse_the_middleware_result(client: Client, user: Any) -> None:
    token = get_jwt_manager().create_access_token(user.pk, tenant_id="acme")
    body = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["ctx_tenant"] == "acme"
    assert current_tenant_id() is None
    # DRF bindings opened without the middleware's token are closed by it too.
    assert client.get("/api/anyone/").json()["ctx_user"] is None


@pytest.mark.django_db(transaction=True)
def test_async_stack() -> None:
    from asgiref.sync import async_to_sync

    user = get_user_model().objects.create_user("alan", password="pw-12345")
    token = get_jwt_manager().create_access_token(user.pk, tenant_id="acme")
    client = AsyncClient()

    async def scenario() -> None:
        response = await client.get("/plain-async/", headers={"Authorization": f"Bearer {token}"})
        assert response.json() == {"auth": True, "ctx_user": str(user.pk), "ctx_tenant": "acme"}
        bad = await client.get("/plain-async/", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        anonymous = await client.get("/plain-async/")
        assert anonymous.json() == {"auth": False, "ctx_user": None, "ctx_tenant": None}

    async_to_sync(scenario)()


def test_jwks_view_publishes_the_public_keys(client: Client) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    assert "max-age=300" in response["Cache-Control"]
    (key,) = response.json()["keys"]
    assert key["kid"] == get_jwt_manager().key_ring.active.kid
    assert "d" not in key
    assert "p" not in key
    # The document is enough to verify a token: what an API gateway would do.
    verifying = JWTKey.from_jwk(key, algorithm="RS256")
    import jwt

    token = get_jwt_manager().create_access_token("1")
    assert (
        jwt.decode(token, verifying.verifying_key, ["RS256"], audience="netrun-api")["sub"] == "1"
    )
    assert client.post("/.well-known/jwks.json").status_code == 405
