"""Run by test_simplejwt.py in its own process, with tests.auth.simplejwt_settings."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from netrun.auth import get_jwt_manager


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user("ada", password="pw-123456")


def _login(client: Client) -> dict[str, str]:
    response = client.post("/token/", {"username": "ada", "password": "pw-123456"})
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def test_stock_views_issue_tokens_with_netrun_keys(client: Client, user: Any) -> None:
    pair = _login(client)
    header = jwt.get_unverified_header(pair["access"])
    assert header["kid"] == get_jwt_manager().key_ring.active.kid
    claims = get_jwt_manager().verify(pair["access"])  # netrun verifies simplejwt's token
    assert claims["sub"] == str(user.pk)
    assert claims["iss"] == "https://auth.netrun.test"
    for path in ("/simplejwt/me/", "/netrun/me/"):
        me = client.get(path, HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
        assert me.json() == {"user": str(user.pk)}, path
    netrun_token = get_jwt_manager().create_access_token(user.pk)
    me = client.get("/simplejwt/me/", HTTP_AUTHORIZATION=f"Bearer {netrun_token}")
    assert me.status_code == 200  # simplejwt authenticates netrun's token


def test_blacklist_app_refuses_a_rotated_refresh_token(client: Client, user: Any) -> None:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    pair = _login(client)
    assert OutstandingToken.objects.count() == 1
    rotated = client.post("/token/refresh/", {"refresh": pair["refresh"]})
    assert rotated.status_code == 200
    assert "refresh" in rotated.json()
    assert BlacklistedToken.objects.count() == 1
    again = client.post("/token/refresh/", {"refresh": pair["refresh"]})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "AUTHENTICATION_ERROR"  # the netrun envelope
    verify = client.post("/token/verify/", {"token": pair["refresh"]})
    assert verify.status_code == 400
    logout = client.post("/token/blacklist/", {"refresh": rotated.json()["refresh"]})
    assert logout.status_code == 200
    assert BlacklistedToken.objects.count() == 2


def test_netrun_revocation_reaches_simplejwt_tokens(client: Client, user: Any) -> None:
    pair = _login(client)
    jti = get_jwt_manager().verify(pair["access"])["jti"]
    get_jwt_manager().revoke(jti)
    me = client.get("/simplejwt/me/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert me.status_code == 401


def test_tampered_token_is_refused_by_simplejwt_views(client: Client, user: Any) -> None:
    pair = _login(client)
    forged = pair["access"][:-4] + ("AAAA" if not pair["access"].endswith("AAAA") else "BBBB")
    assert client.post("/token/verify/", {"token": forged}).status_code == 401
