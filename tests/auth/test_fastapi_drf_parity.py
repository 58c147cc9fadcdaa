"""FastAPI's ``require_auth()`` refuses a request exactly as DRF's ``JWTAuthentication`` does.

The same request goes to a DRF view (``IsAuthenticated``) and to a FastAPI route, both
verifying with the shared manager of the same settings; status, error code, message and
``WWW-Authenticate`` challenge (RFC 6750: no ``error=`` when no token was presented) must
be identical.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from netrun.auth import AuthConfig, JWTManager, get_jwt_manager
from netrun.auth.contrib.fastapi import require_auth
from netrun.errors.contrib.fastapi import install_exception_handlers
from tests.auth.conftest import AUDIENCE, ISSUER, KeyPair

pytestmark = [pytest.mark.urls("tests.auth.urls"), pytest.mark.usefixtures("auth_settings")]

app = FastAPI()
install_exception_handlers(app)


@app.get("/api/me/")
async def me(claims: Annotated[dict[str, Any], Depends(require_auth())]) -> dict[str, Any]:
    return {"sub": claims["sub"]}


def _other_key_token(user_id: str, rsa_keys_2: KeyPair) -> str:
    stranger = JWTManager(
        AuthConfig(
            jwt_private_key=rsa_keys_2.private_pem,
            jwt_public_key=rsa_keys_2.public_pem,
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            _env_file=None,
        )
    )
    return stranger.create_access_token(user_id)


def _expired_token(user_id: str, rsa_keys_2: KeyPair) -> str:
    manager = get_jwt_manager()
    return JWTManager(manager.config, clock=lambda: time.time() - 7200).create_access_token(user_id)


def _revoked_token(user_id: str, rsa_keys_2: KeyPair) -> str:
    manager = get_jwt_manager()
    token = manager.create_access_token(user_id)
    manager.revoke(manager.verify(token)["jti"])
    return token


Header = Callable[[str, KeyPair], "str | None"]

CASES: list[tuple[str, Header]] = [
    ("missing", lambda user_id, keys: None),
    ("other_scheme", lambda user_id, keys: "Basic YWRhOnB3"),
    ("malformed_no_token", lambda user_id, keys: "Bearer"),
    ("malformed_two_tokens", lambda user_id, keys: "Bearer a b"),
    ("not_a_jwt", lambda user_id, keys: "Bearer not.a.token"),
    ("bad_signature", lambda user_id, keys: f"Bearer {_other_key_token(user_id, keys)}"),
    ("expired", lambda user_id, keys: f"Bearer {_expired_token(user_id, keys)}"),
    ("revoked", lambda user_id, keys: f"Bearer {_revoked_token(user_id, keys)}"),
]


def _answer(status: int, body: dict[str, Any], challenge: str | None) -> dict[str, Any]:
    return {
        "status": status,
        "code": body["error"]["code"],
        "message": body["error"]["message"],
        "challenge": challenge,
    }


@pytest.mark.parametrize(("case", "header"), CASES, ids=[case for case, _ in CASES])
def test_fastapi_refuses_as_drf_does(
    client: Client, db: None, rsa_keys_2: KeyPair, case: str, header: Header
) -> None:
    user = get_user_model().objects.create_user("ada", password="pw-123456")
    value = header(str(user.pk), rsa_keys_2)
    headers = {} if value is None else {"Authorization": value}

    drf = client.get("/api/me/", headers=headers)
    fastapi = TestClient(app).get("/api/me/", headers=headers)

    drf_answer = _answer(drf.status_code, drf.json(), drf.headers.get("WWW-Authenticate"))
    fastapi_answer = _answer(
        fastapi.status_code, fastapi.json(), fastapi.headers.get("WWW-Authenticate")
    )
    assert fastapi_answer == drf_answer
    assert drf_answer["status"] == 401
    # RFC 6750 section 3.1: a request without credentials gets no error code.
    if case in {"missing", "other_scheme"}:
        assert drf_answer["challenge"] == 'Bearer realm="api"'
        assert drf_answer["code"] == "AUTHENTICATION_ERROR"
    elif case.startswith("malformed"):
        assert drf_answer["challenge"] == 'Bearer realm="api", error="invalid_request"'
    else:
        assert drf_answer["challenge"] == 'Bearer realm="api", error="invalid_token"'
        assert drf_answer["code"] == ("TOKEN_EXPIRED" if case == "expired" else "TOKEN_INVALID")


def test_a_valid_token_passes_both(client: Client, db: None) -> None:
    user = get_user_model().objects.create_user("ada", password="pw-123456")
    headers = {"Authorization": f"Bearer {get_jwt_manager().create_access_token(user.pk)}"}
    assert client.get("/api/me/", headers=headers).json()["sub"] == str(user.pk)
    assert TestClient(app).get("/api/me/", headers=headers).json() == {"sub": str(user.pk)}
