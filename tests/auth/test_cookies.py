"""The cookie transport: httpOnly access and refresh cookies, and CSRF on unsafe methods."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from netrun.auth import TokenRejectedError, get_jwt_manager

pytestmark = [
    pytest.mark.urls("tests.auth.urls"),
    pytest.mark.usefixtures("auth_settings", "cookie_transport"),
]

ACCESS, REFRESH = "netrun_access", "netrun_refresh"


@pytest.fixture
def cookie_transport() -> Iterator[None]:
    with override_settings(NETRUN_AUTH_COOKIE_TRANSPORT=True):
        yield


def _log_in(client: Client) -> Client:
    response = client.post("/auth/login/", {"username": "ada", "password": "pw-123456"})
    assert response.status_code == 200, response.content
    return client


@pytest.fixture
def browser(db: None) -> Client:
    """A logged-in browser: token cookies and the CSRF cookie, Django's CSRF check on."""
    get_user_model().objects.create_user("ada", password="pw-123456")
    return _log_in(Client(enforce_csrf_checks=True))


def _csrf(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def _refused(response: Any) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_login_sets_httponly_secure_samesite_cookies(browser: Client) -> None:
    access, refresh = browser.cookies[ACCESS], browser.cookies[REFRESH]
    for cookie in (access, refresh):
        assert cookie["httponly"] is True
        assert cookie["secure"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
    assert access["max-age"] == 900
    assert refresh["max-age"] == 604800
    assert get_jwt_manager().verify(access.value)["token_type"] == "access"


def test_safe_requests_are_authenticated_by_the_cookie(browser: Client) -> None:
    assert browser.get("/api/notes/").json()["user"]


def test_unsafe_drf_request_by_cookie_needs_the_csrf_token(browser: Client) -> None:
    _refused(browser.post("/api/notes/"))
    _refused(browser.post("/api/notes/", HTTP_X_CSRFTOKEN="x" * 32))
    # Right token, foreign origin: Django's origin check refuses it too.
    _refused(browser.post("/api/notes/", HTTP_ORIGIN="https://evil.example", **_csrf(browser)))
    assert browser.post("/api/notes/", **_csrf(browser)).status_code == 201


def test_unsafe_request_by_cookie_on_a_csrf_exempt_view_is_refused_by_the_middleware(
    browser: Client,
) -> None:
    middleware = [*settings.MIDDLEWARE, "netrun.auth.middleware.JWTAuthenticationMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        # A client loads the middleware on its first request: a new one, same cookies.
        browser, cookies = Client(enforce_csrf_checks=True), browser.cookies
        browser.cookies = cookies
        _refused(browser.post("/plain-write/"))
        _refused(browser.post("/api/notes/"))  # DRF behind the middleware: refused once
        assert browser.post("/plain-write/", **_csrf(browser)).json()["user"]
        assert browser.get("/plain-write/").json()["user"]


def test_a_bearer_header_needs_no_csrf_token_and_wins_over_the_cookie(browser: Client) -> None:
    other = get_user_model().objects.create_user("bob", password="pw-123456")
    token = get_jwt_manager().create_access_token(other.pk)
    response = browser.post("/api/notes/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 201
    assert response.json()["user"] == str(other.pk)


def test_the_cookie_is_ignored_unless_the_transport_is_on(browser: Client) -> None:
    with override_settings(NETRUN_AUTH_COOKIE_TRANSPORT=False):
        assert browser.get("/api/notes/").status_code == 401


def test_refresh_needs_csrf_and_rotates_both_cookies(browser: Client) -> None:
    old_access, old_refresh = browser.cookies[ACCESS].value, browser.cookies[REFRESH].value
    _refused(browser.post("/auth/refresh/"))
    response = browser.post("/auth/refresh/", **_csrf(browser))
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token_type", "expires_in"}  # no token in the body
    assert browser.cookies[ACCESS].value != old_access
    assert browser.cookies[REFRESH].value != old_refresh
    assert browser.get("/api/notes/").status_code == 200
    # The spent refresh cookie, replayed: reuse detected, 401, cookies cleared.
    browser.cookies[REFRESH] = old_refresh
    replay = browser.post("/auth/refresh/", **_csrf(browser))
    assert replay.status_code == 401
    assert replay.cookies[ACCESS]["max-age"] == 0
    assert browser.get("/api/notes/").status_code == 401  # the whole family is revoked


def test_refresh_without_a_cookie_is_a_401(db: None) -> None:
    client = Client()
    response = client.post("/auth/refresh/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_logout_needs_csrf_revokes_the_login_and_clears_the_cookies(browser: Client) -> None:
    access = browser.cookies[ACCESS].value
    _refused(browser.post("/auth/logout/"))
    response = browser.post("/auth/logout/", **_csrf(browser))
    assert response.status_code == 204
    assert response.cookies[ACCESS]["max-age"] == 0
    assert response.cookies[REFRESH]["max-age"] == 0
    with pytest.raises(TokenRejectedError):
        get_jwt_manager().verify(access)


def test_cookie_flags_and_refresh_path_follow_the_settings(browser: Client) -> None:
    with override_settings(
        NETRUN_AUTH_COOKIE_SAMESITE="Strict",
        NETRUN_AUTH_COOKIE_SECURE=False,
        NETRUN_AUTH_REFRESH_COOKIE_PATH="/auth/",
    ):
        client = _log_in(Client(enforce_csrf_checks=True))
    access, refresh = client.cookies[ACCESS], client.cookies[REFRESH]
    assert access["samesite"] == refresh["samesite"] == "Strict"
    assert not access["secure"]
    assert refresh["path"] == "/auth/"
    assert access["path"] == "/"
