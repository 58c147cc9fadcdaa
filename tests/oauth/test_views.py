"""The login views end to end, against the local OIDC provider over real HTTP."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from netrun.logging.testing import capture_logs
from netrun.oauth.models import OAuthIdentity
from netrun.oauth.views import SESSION_KEY
from tests.oauth import fakes
from tests.oauth.stub import StubIdP, unused_port

pytestmark = pytest.mark.django_db


def _people() -> int:
    """Accounts of people: django-guardian keeps its own AnonymousUser row in the table."""
    from django.conf import settings

    anonymous = getattr(settings, "ANONYMOUS_USER_NAME", "AnonymousUser")
    return get_user_model().objects.exclude(username=anonymous).count()


def start(client: Client, provider: str = "stub", **params: str) -> dict[str, str]:
    response = client.get(f"/oauth/{provider}/login/", params)
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def consent(idp: StubIdP, params: dict[str, str], **options: Any) -> str:
    """What the provider does when the user agrees: a code bound to nonce and challenge."""
    return idp.issue_code(
        nonce=params.get("nonce"),
        code_challenge=params["code_challenge"],
        redirect_uri=params["redirect_uri"],
        **options,
    )


def callback(client: Client, params: dict[str, str], code: str, provider: str = "stub") -> Any:
    return client.get(f"/oauth/{provider}/callback/", {"code": code, "state": params["state"]})


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def test_session_login_creates_the_user_and_redirects_to_next(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client, next="/dashboard/")
    response = callback(client, params, consent(idp, params))
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    link = OAuthIdentity.objects.get(provider="stub", subject="user-1")
    assert link.user.email == "ada@acme.test"
    assert not link.user.has_usable_password()
    assert str(link) == "stub:user-1"
    assert client.session["_auth_user_id"] == str(link.user.pk)
    assert client.session[SESSION_KEY] == {}


def test_a_returning_user_gets_the_same_account(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    for _ in range(2):
        params = start(client)
        assert callback(client, params, consent(idp, params)).status_code == 302
    assert _people() == 1
    assert OAuthIdentity.objects.get().last_login is not None


def test_jwt_mode_answers_with_a_netrun_token_pair_and_the_tenant(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    oauth_settings.NETRUN_OAUTH_LOGIN_MODE = "jwt"
    oauth_settings.NETRUN_OAUTH_JWT_MANAGER = "tests.oauth.fakes.get_jwt_manager"
    oauth_settings.NETRUN_OAUTH_TENANT_MAP = {"tid-acme": "acme"}
    fakes.ISSUED.clear()
    params = start(client)
    response = callback(client, params, consent(idp, params, tid="tid-acme"))
    assert response.status_code == 200
    user = OAuthIdentity.objects.get().user
    assert response.json() == {
        "access_token": f"access-for-{user.pk}",
        "refresh_token": f"refresh-for-{user.pk}",
        "token_type": "Bearer",
        "tenant_id": "acme",
    }
    assert response["Cache-Control"].startswith("max-age=0")
    assert fakes.ISSUED[0] == {
        "kind": "access", "user_id": str(user.pk), "tenant_id": "acme", "idp": "stub",
    }  # fmt: skip
    assert "_auth_user_id" not in client.session  # no session in jwt mode


def test_a_replayed_state_is_refused(client: Client, idp: StubIdP, oauth_settings: Any) -> None:
    params = start(client)
    assert callback(client, params, consent(idp, params)).status_code == 302
    response = callback(client, params, consent(idp, params))
    assert response.status_code == 401
    assert error_of(response)["details"]["reason"] == "invalid_state"


def test_a_state_replayed_from_a_copied_session_is_refused(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client)
    saved = dict(client.session[SESSION_KEY])
    assert callback(client, params, consent(idp, params)).status_code == 302
    session = client.session
    session[SESSION_KEY] = saved  # an attacker restoring the pre-login session
    session.save()
    response = callback(client, params, consent(idp, params))
    assert response.status_code == 401
    assert error_of(response)["details"]["reason"] == "state_replayed"


def test_a_state_from_another_browser_is_refused(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client)
    response = callback(Client(), params, consent(idp, params))
    assert response.status_code == 401
    assert error_of(response)["details"]["reason"] == "invalid_state"


def test_a_state_for_another_provider_is_refused(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client, "github")
    response = callback(client, params, "code", provider="stub")
    assert error_of(response)["details"]["reason"] == "invalid_state"


def test_an_expired_login_attempt_is_refused(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client)
    session = client.session
    session[SESSION_KEY][params["state"]]["created"] = time.time() - 601
    session.save()
    response = callback(client, params, consent(idp, params))
    assert error_of(response)["details"]["reason"] == "state_expired"


def test_denied_consent_is_an_authentication_error_in_the_envelope(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client)
    with capture_logs() as logs:
        response = client.get(
            "/oauth/stub/callback/",
            {"error": "access_denied", "state": params["state"]},
            HTTP_X_CORRELATION_ID="corr-denied-1",
        )
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "AUTHENTICATION_ERROR"
    assert error["details"] == {"provider": "stub", "reason": "access_denied"}
    assert error["correlation_id"] == "corr-denied-1"
    failed = [e for e in logs if e["event"] == "oauth_login_failed"]
    assert failed
    assert failed[0]["correlation_id"] == "corr-denied-1"
    assert failed[0]["reason"] == "access_denied"
    # The burnt state cannot be used afterwards.
    assert callback(client, params, consent(idp, params)).status_code == 401


def test_an_odd_error_code_is_not_echoed(client: Client, oauth_settings: Any) -> None:
    response = client.get("/oauth/stub/callback/", {"error": "<script>"})
    assert error_of(response)["details"]["reason"] == "other"


def test_an_expired_code_is_an_authentication_error(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client)
    response = callback(client, params, "a-code-the-provider-forgot")
    assert response.status_code == 401
    assert error_of(response)["details"]["reason"] == "invalid_grant"


def test_a_missing_code_is_refused(client: Client, oauth_settings: Any) -> None:
    params = start(client)
    response = client.get("/oauth/stub/callback/", {"state": params["state"]})
    assert error_of(response)["details"]["reason"] == "missing_code"


@pytest.mark.parametrize(
    ("options", "code", "reason"),
    [
        ({"sign_with": "forged"}, "TOKEN_INVALID", "bad_signature"),
        ({"sign_with": "none"}, "TOKEN_INVALID", "algorithm_not_allowed"),
        ({"aud": "another-client"}, "TOKEN_INVALID", "wrong_audience"),
        ({"iss": "https://evil.example"}, "TOKEN_INVALID", "wrong_issuer"),
        ({"exp": int(time.time()) - 600}, "TOKEN_EXPIRED", None),
    ],
)
def test_bad_id_tokens_log_nobody_in(
    client: Client,
    idp: StubIdP,
    oauth_settings: Any,
    options: dict[str, Any],
    code: str,
    reason: str | None,
) -> None:
    params = start(client)
    response = callback(client, params, consent(idp, params, **options))
    assert response.status_code == 401
    assert error_of(response)["code"] == code
    assert error_of(response)["details"].get("reason") == reason
    assert _people() == 0
    assert "_auth_user_id" not in client.session


def test_a_wrong_nonce_is_refused(client: Client, idp: StubIdP, oauth_settings: Any) -> None:
    params = start(client)
    code = idp.issue_code(
        nonce="not-the-one-we-sent",
        code_challenge=params["code_challenge"],
        redirect_uri=params["redirect_uri"],
    )
    response = callback(client, params, code)
    assert error_of(response)["details"]["reason"] == "nonce_mismatch"
    assert _people() == 0


def test_an_unreachable_provider_is_a_503_envelope(client: Client, oauth_settings: Any) -> None:
    dead = f"http://127.0.0.1:{unused_port()}/.well-known/openid-configuration"
    oauth_settings.NETRUN_OAUTH_PROVIDERS = {
        "stub": {"type": "oidc", "discovery_url": dead, "client_id": "x", "client_secret": "y"}
    }
    # 5xx are also sent to got_request_exception, which the test client would re-raise.
    client.raise_request_exception = False
    response = client.get("/oauth/stub/login/")
    assert response.status_code == 503
    assert error_of(response)["code"] == "SERVICE_UNAVAILABLE"


def test_a_provider_down_at_callback_time_is_logged_without_secrets(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client)
    code = consent(idp, params)
    idp.stop()
    client.raise_request_exception = False
    with capture_logs() as logs:
        response = callback(client, params, code)
    assert response.status_code == 503
    text = repr(logs)
    assert code not in text
    assert params["state"] not in text
    assert any(e["event"] == "oauth_login_failed" and e["status"] == 503 for e in logs)


def test_success_is_logged_without_codes_or_tokens(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client)
    code = consent(idp, params)
    with capture_logs() as logs:
        callback(client, params, code)
    events = [e["event"] for e in logs]
    assert "oauth_login_succeeded" in events
    text = repr(logs)
    assert code not in text
    assert params["state"] not in text
    assert params["nonce"] not in text
    assert not any(token in text for token in idp.access_tokens)


def test_an_unknown_provider_is_a_404(client: Client, oauth_settings: Any) -> None:
    response = client.get("/oauth/nope/login/")
    assert response.status_code == 404


def test_a_misconfigured_provider_is_a_configuration_error(
    client: Client, oauth_settings: Any
) -> None:
    oauth_settings.NETRUN_OAUTH_PROVIDERS = {"stub": {"type": "oidc", "client_id": "x"}}
    client.raise_request_exception = False
    response = client.get("/oauth/stub/login/")
    assert response.status_code == 500
    assert error_of(response)["code"] == "CONFIGURATION_ERROR"


def test_a_foreign_next_url_is_ignored(client: Client, idp: StubIdP, oauth_settings: Any) -> None:
    oauth_settings.NETRUN_OAUTH_LOGIN_REDIRECT_URL = "/home/"
    params = start(client, next="https://evil.example/steal")
    response = callback(client, params, consent(idp, params))
    assert response["Location"] == "/home/"


def test_pending_attempts_per_session_are_bounded(client: Client, oauth_settings: Any) -> None:
    for _ in range(8):
        start(client)
    assert len(client.session[SESSION_KEY]) == 5


def test_email_domain_maps_the_tenant_and_require_tenant_refuses_strangers(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    oauth_settings.NETRUN_OAUTH_TENANT_MAP = {"acme.test": "acme"}
    oauth_settings.NETRUN_OAUTH_REQUIRE_TENANT = True
    params = start(client)
    assert callback(client, params, consent(idp, params)).status_code == 302
    assert client.session["netrun_tenant_id"] == "acme"
    assert OAuthIdentity.objects.get().tenant_id == "acme"
    other = Client()
    params = start(other)
    response = callback(other, params, consent(idp, params, sub="u-2", email="bob@else.test"))
    assert response.status_code == 403
    assert error_of(response)["code"] == "TENANT_ACCESS_DENIED"


def test_link_by_verified_email_reuses_an_existing_account(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    oauth_settings.NETRUN_OAUTH_LINK_BY_EMAIL = True
    existing = get_user_model().objects.create_user("ada", email="ADA@acme.test")
    params = start(client)
    callback(client, params, consent(idp, params))
    assert OAuthIdentity.objects.get().user == existing


def test_an_unverified_email_is_never_linked(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    oauth_settings.NETRUN_OAUTH_LINK_BY_EMAIL = True
    existing = get_user_model().objects.create_user("ada", email="ada@acme.test")
    params = start(client)
    callback(client, params, consent(idp, params, email_verified=False))
    link = OAuthIdentity.objects.get()
    assert link.user != existing
    assert link.user.email == ""


def test_without_user_creation_an_unknown_identity_is_refused(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    oauth_settings.NETRUN_OAUTH_CREATE_USERS = False
    params = start(client)
    response = callback(client, params, consent(idp, params))
    assert error_of(response)["details"]["reason"] == "no_account"


def test_an_inactive_user_is_refused(client: Client, idp: StubIdP, oauth_settings: Any) -> None:
    params = start(client)
    callback(client, params, consent(idp, params))
    user = OAuthIdentity.objects.get().user
    user.is_active = False
    user.save()
    other = Client()
    params = start(other)
    response = callback(other, params, consent(idp, params))
    assert error_of(response)["details"]["reason"] == "inactive_user"


def test_github_login_creates_a_user_from_the_api(
    client: Client, idp: StubIdP, oauth_settings: Any
) -> None:
    params = start(client, "github")
    response = callback(client, params, consent(idp, params), provider="github")
    assert response.status_code == 302
    link = OAuthIdentity.objects.get(provider="github")
    assert (link.subject, link.user.email) == ("4242", "ada@acme.test")
