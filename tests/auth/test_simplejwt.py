"""simplejwt integration: the settings helper, netrun's views in-process, stock views + blacklist
app in a process of their own (simplejwt reads its settings at import)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

from netrun.auth import AuthConfig, JWTManager, get_jwt_manager
from netrun.auth.simplejwt import (
    AccessToken,
    NetrunTokenBackend,
    RefreshToken,
    simple_jwt_settings,
)
from tests.auth.conftest import KeyPair

ROOT = Path(__file__).resolve().parents[2]


def test_settings_helper(config: AuthConfig, rsa_keys: KeyPair) -> None:
    values = simple_jwt_settings(config, ROTATE_REFRESH_TOKENS=True)
    assert values["ALGORITHM"] == "RS256"
    assert values["SIGNING_KEY"] == rsa_keys.private_pem
    assert values["VERIFYING_KEY"].strip() == rsa_keys.public_pem.strip()
    assert values["ISSUER"] == config.jwt_issuer
    assert values["AUDIENCE"] == config.jwt_audience
    assert values["USER_ID_CLAIM"] == "sub"
    assert values["ACCESS_TOKEN_LIFETIME"].total_seconds() == 900
    assert values["AUTH_TOKEN_CLASSES"] == ("netrun.auth.simplejwt.AccessToken",)
    assert values["ROTATE_REFRESH_TOKENS"] is True
    hs = simple_jwt_settings(AuthConfig(jwt_algorithm="HS256", jwt_secret="k" * 40, _env_file=None))
    assert hs["SIGNING_KEY"] == "k" * 40
    assert hs["VERIFYING_KEY"] == ""


def test_backend_adapter(manager: JWTManager) -> None:
    backend = NetrunTokenBackend(manager)
    assert backend.algorithm == "RS256"
    assert backend.leeway == 0
    from datetime import datetime, timezone

    token = backend.encode({"sub": "1", "exp": int(time.time()) + 60, "iat": int(time.time()),
                            "jti": "j1", "token_type": "access",
                            "when": datetime(2030, 1, 1, tzinfo=timezone.utc)})  # fmt: skip
    assert backend.decode(token)["when"] == 1893456000
    assert backend.decode(token, verify=False)["sub"] == "1"
    with pytest.raises(TokenBackendError):
        backend.decode("garbage")
    with pytest.raises(TokenBackendError):
        backend.decode("garbage", verify=False)
    expired = JWTManager(manager.config, clock=lambda: time.time() - 9999).create_access_token("1")
    with pytest.raises(TokenBackendExpiredToken):
        backend.decode(expired)


@pytest.mark.urls("tests.auth.urls")
@pytest.mark.usefixtures("auth_settings")
def test_netrun_views_with_netrun_keys(client: Client, db: None) -> None:
    user: Any = get_user_model().objects.create_user("ada", password="pw-123456")
    pair = client.post("/api/token/", {"username": "ada", "password": "pw-123456"}).json()
    assert jwt.get_unverified_header(pair["access"])["kid"] == get_jwt_manager().key_ring.active.kid
    assert AccessToken(pair["access"])["sub"] == str(user.pk)
    assert RefreshToken(pair["refresh"]).lifetime.total_seconds() == 604800
    refreshed = client.post("/api/token/refresh/", {"refresh": pair["refresh"]})
    assert refreshed.status_code == 200
    assert client.post("/api/token/verify/", {"token": pair["access"]}).status_code == 200
    assert client.post("/api/token/verify/", {"token": "x.y.z"}).status_code == 401
    assert client.post("/api/token/blacklist/", {"refresh": pair["refresh"]}).status_code == 200
    # The access token works on netrun's DRF authentication too.
    me = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert me.json()["user"] == str(user.pk)


@pytest.mark.slow
def test_stock_simplejwt_views_and_blacklist_app() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.auth.simplejwt_settings"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/auth/simplejwt_scenarios.py", "-q",
         "-o", "python_files=simplejwt_scenarios.py", "-p", "no:randomly"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout
