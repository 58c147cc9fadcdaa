"""FastAPI: require_auth(roles=...) with netrun's exception handlers."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from netrun.auth import JWTManager
from netrun.auth.contrib.fastapi import require_auth
from netrun.core.context import current_tenant_id, current_user_id
from netrun.errors.contrib.fastapi import install_exception_handlers


class CurrentManager:
    """Module-level stand-in for the test's manager (annotations resolve at module scope)."""

    manager: JWTManager | None = None

    def verify(self, token: str) -> dict[str, Any]:
        assert self.manager is not None
        return self.manager.verify(token)


CURRENT = CurrentManager()
User = Annotated[dict[str, Any], Depends(require_auth(manager=CURRENT))]  # type: ignore[arg-type]
Admin = Annotated[
    dict[str, Any],
    Depends(require_auth(roles=["admin"], permissions=["tickets.write"], manager=CURRENT)),  # type: ignore[arg-type]
]

app = FastAPI()
install_exception_handlers(app)


@app.get("/me")
async def me(claims: User) -> dict[str, Any]:
    return {"sub": claims["sub"], "user": current_user_id(), "tenant": current_tenant_id()}


@app.get("/sync-me")
def sync_me(claims: User) -> dict[str, Any]:
    return {"user": current_user_id(), "tenant": current_tenant_id()}


@app.get("/admin")
async def admin(claims: Admin) -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture
def api(manager: JWTManager) -> TestClient:
    CURRENT.manager = manager
    return TestClient(app)


def test_valid_token_binds_context(api: TestClient, manager: JWTManager) -> None:
    token = manager.create_access_token("7", tenant_id="acme")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/me", headers=headers).json() == {"sub": "7", "user": "7", "tenant": "acme"}
    assert api.get("/sync-me", headers=headers).json() == {"user": "7", "tenant": "acme"}
    assert current_user_id() is None


@pytest.mark.parametrize(
    ("header", "code", "challenge"),
    [
        (None, "AUTHENTICATION_ERROR", 'Bearer realm="api"'),
        # Not a bearer token: none presented.
        ("Basic abc", "AUTHENTICATION_ERROR", 'Bearer realm="api"'),
        ("Bearer nope", "TOKEN_INVALID", 'Bearer realm="api", error="invalid_token"'),
        ("Bearer", "TOKEN_INVALID", 'Bearer realm="api", error="invalid_request"'),
    ],
)
def test_missing_or_bad_token_is_401_envelope_with_challenge(
    api: TestClient, header: str | None, code: str, challenge: str
) -> None:
    headers = {"Authorization": header} if header else {}
    response = api.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    # RFC 6750, as the DRF path answers (tests/auth/test_fastapi_drf_parity.py).
    assert response.headers["WWW-Authenticate"] == challenge


def test_roles_and_permissions_are_403(api: TestClient, manager: JWTManager) -> None:
    agent = manager.create_access_token("7", roles=["agent"])
    response = api.get("/admin", headers={"Authorization": f"Bearer {agent}"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    admin_no_perm = manager.create_access_token("7", roles=["admin"])
    assert (
        api.get("/admin", headers={"Authorization": f"Bearer {admin_no_perm}"}).status_code == 403
    )
    token = manager.create_access_token("7", roles=["admin"], permissions=["tickets.write"])
    assert api.get("/admin", headers={"Authorization": f"Bearer {token}"}).json() == {"ok": True}
