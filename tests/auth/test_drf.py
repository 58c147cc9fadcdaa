"""DRF: JWTAuthentication, the request context binding, tenant and role permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from netrun.auth import JWTManager, get_jwt_manager
from netrun.core.context import current_tenant_id, current_user_id
from netrun.logging.testing import capture_logs

pytestmark = [pytest.mark.urls("tests.auth.urls"), pytest.mark.usefixtures("auth_settings")]


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user("ada", password="pw-123456")


@pytest.fixture
def jwt_manager() -> JWTManager:
    return get_jwt_manager()


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_claims_on_request_auth_and_context_bound_in_the_view(
    client: Client, user: Any, jwt_manager: JWTManager
) -> None:
    token = jwt_manager.create_access_token(user.pk, roles=["agent"], tenant_id="acme")
    response = client.get("/api/me/", **_bearer(token))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "user": str(user.pk), "sub": str(user.pk), "ctx_user": str(user.pk), "ctx_tenant": "acme",
    }  # fmt: skip


def test_context_does_not_leak_into_the_next_request_on_the_same_thread(
    client: Client, user: Any, jwt_manager: JWTManager
) -> None:
    token = jwt_manager.create_access_token(user.pk, tenant_id="acme")
    assert client.get("/api/anyone/", **_bearer(token)).json()["ctx_tenant"] == "acme"
    # The test client serves requests on this thread, like a WSGI worker.
    assert current_user_id() is None
    assert current_tenant_id() is None
    anonymous = client.get("/api/anyone/").json()
    assert anonymous == {"authenticated": False, "ctx_user": None, "ctx_tenant": None}


def test_an_error_in_the_view_still_ends_the_binding(
    client: Client, user: Any, jwt_manager: JWTManager
) -> None:
    token = jwt_manager.create_access_token(user.pk, tenant_id="acme")
    assert client.get("/api/tenants/globex/tickets/", **_bearer(token)).status_code == 403
    assert current_user_id() is None
    assert current_tenant_id() is None


def test_missing_token_is_401_envelope_with_challenge(client: Client, db: None) -> None:
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer not.a.token", "malformed"),
        ("Bearer", "malformed_header"),
        ("Bearer a b", "malformed_header"),
    ],
)
def test_bad_tokens_are_401_envelopes_and_audited_without_the_token(
    client: Client, db: None, header: str, reason: str
) -> None:
    with capture_logs() as logs:
        response = client.get("/api/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "TOKEN_INVALID"
    assert reason not in str(body)  # the reason stays server-side
    assert 'error="invalid' in response["WWW-Authenticate"]
    failed = [entry for entry in logs if entry["event"] == "auth_failed"]
    assert failed
    assert failed[0]["reason"] == reason
    assert failed[0]["correlation_id"] == body["error"]["correlation_id"]
    assert all("not.a.token" not in str(value) for entry in logs for value in entry.values())


def test_expired_token_is_token_expired(client: Client, user: Any, jwt_manager: JWTManager) -> None:
    import time

    old = JWTManager(jwt_manager.config, clock=lambda: time.time() - 7200)
    response = client.get("/api/me/", **_bearer(old.create_access_token(user.pk)))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_EXPIRED"


def test_revoked_token_is_refused(client: Client, user: Any, jwt_manager: JWTManager) -> None:
    token = jwt_manager.create_access_token(user.pk)
    jwt_manager.revoke(jwt_manager.verify(token)["jti"])
    assert client.get("/api/me/", **_bearer(token)).status_code == 401


def test_unknown_and_inactive_users_are_refused(
    client: Client, user: Any, jwt_manager: JWTManager
) -> None:
    assert (
        client.get("/api/me/", **_bearer(jwt_manager.create_access_token(99999))).status_code == 401
    )
    assert (
        client.get("/api/me/", **_bearer(jwt_manager.create_access_token("abc"))).status_code == 401
    )
    user.is_active = False
    user.save()
    assert (
        client.get("/api/me/", **_bearer(jwt_manager.create_access_token(user.pk))).status_code
        == 401
    )


def test_stateless_users_need_no_query(client: Client, db: None) -> None:
    with override_settings(NETRUN_AUTH_STATELESS_USERS=True):
        token = get_jwt_manager().create_access_token("ext-7", tenant_id="acme")
        response = client.get("/api/me/", **_bearer(token))
    assert response.status_code == 200
    assert response.json()["user"] == "ext-7"


def test_other_schemes_are_left_to_other_authenticators(client: Client, db: None) -> None:
    response = client.get("/api/anyone/", HTTP_AUTHORIZATION="Basic dTpw")
    assert response.json()["authenticated"] is False


def test_tenant_a_token_on_tenant_b_resources_is_403(
    client: Client, user: Any, jwt_manager: JWTManager
) -> None:
    token = jwt_manager.create_access_token(user.pk, tenant_id="tenant-a")
    assert client.get("/api/tenants/tenant-a/tickets/", **_bearer(token)).status_code == 200
    with capture_logs() as logs:
        response = client.get("/api/tenants/tenant-b/tickets/", **_bearer(token))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "TENANT_ACCESS_DENIED"
    failed = [entry for entry in logs if entry["event"] == "auth_failed"]
    assert failed[0]["reason"] == "tenant_mismatch"
    assert failed[0]["tenant_id"] == "tenant-a"
    assert failed[0]["resource_tenant"] == "tenant-b"


def test_roles_required(client: Client, user: Any, jwt_manager: JWTManager) -> None:
    agent = jwt_manager.create_access_token(user.pk, roles=["agent"])
    admin = jwt_manager.create_access_token(user.pk, roles=["admin"])
    response = client.get("/api/admin/", **_bearer(agent))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert client.get("/api/admin/", **_bearer(admin)).status_code == 200


def test_success_is_audited(client: Client, user: Any, jwt_manager: JWTManager) -> None:
    token = jwt_manager.create_access_token(user.pk, tenant_id="acme")
    with capture_logs() as logs:
        client.get("/api/me/", **_bearer(token), HTTP_X_CORRELATION_ID="corr-123")
    succeeded = [entry for entry in logs if entry["event"] == "auth_succeeded"]
    assert succeeded[0]["user_id"] == str(user.pk)
    assert succeeded[0]["tenant_id"] == "acme"
    assert succeeded[0]["correlation_id"] == "corr-123"
    assert all(token not in str(entry) for entry in logs)
