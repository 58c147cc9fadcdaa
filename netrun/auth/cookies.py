"""httpOnly-cookie transport for browser clients, beside the ``Authorization: Bearer`` header.

With ``NETRUN_AUTH_COOKIE_TRANSPORT = True`` a request without an ``Authorization`` header is authenticated by the access token in the ``netrun_access``
cookie (``NETRUN_AUTH_ACCESS_COOKIE_NAME``), by
:class:`netrun.auth.drf.JWTAuthentication` and
:class:`netrun.auth.middleware.JWTAuthenticationMiddleware` alike. A header, when present,
always wins.

A browser sends cookies with cross-site requests too, so a request authenticated by the
cookie with an unsafe method (anything but GET, HEAD, OPTIONS, TRACE) must pass Django's CSRF
check (the ``csrftoken`` cookie echoed in ``X-CSRFToken``, and a trusted ``Origin``), as DRF's
``SessionAuthentication`` requires: otherwise 403 ``PERMISSION_DENIED`` in the envelope. This
holds on ``csrf_exempt`` views and DRF views alike, and cannot be turned off. ``SameSite``
(``Lax`` by default) is a second wall, not the only one.

A login view sets the cookies with :func:`set_token_cookies` (and calls
``django.middleware.csrf.get_token(request)`` so the ``csrftoken`` cookie reaches the
browser); :func:`netrun.auth.views.cookie_refresh_view` renews them from the refresh cookie
and :func:`netrun.auth.views.cookie_logout_view` revokes the login and clears them. The
cookies are always ``HttpOnly``; ``Secure``, ``SameSite``, domain and paths come from
``NETRUN_AUTH_COOKIE_*`` (the refresh cookie can be limited to the refresh URL with
``NETRUN_AUTH_REFRESH_COOKIE_PATH``).

Django glue.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware

from netrun.auth._authenticate import bearer_token
from netrun.auth.conf import AuthConfig
from netrun.auth.exceptions import PermissionDeniedError
from netrun.auth.tokens import TokenPair
from netrun.config import get_settings

__all__ = [
    "SAFE_METHODS",
    "CSRFRejectedError",
    "delete_token_cookies",
    "enforce_csrf",
    "request_token",
    "set_token_cookies",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CSRFRejectedError(PermissionDeniedError):
    """403 ``PERMISSION_DENIED``: a cookie-authenticated unsafe request failed the CSRF check."""

    default_message = "CSRF verification failed."


def request_token(
    request: HttpRequest, config: AuthConfig | None = None
) -> tuple[str | None, bool]:
    """The request's access token, and True when it came from the cookie (not the header).

    A malformed ``Authorization: Bearer`` header is a 401 (``TokenRejectedError``).
    """
    token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
    if token is not None:
        return token, False
    config = config or get_settings(AuthConfig)
    if not config.cookie_transport:
        return None, False
    cookie = request.COOKIES.get(config.access_cookie_name)
    return (cookie, True) if cookie else (None, False)


def _no_view(request: HttpRequest) -> HttpResponseBase:  # pragma: no cover - never called
    raise AssertionError("the CSRF check never calls get_response")


def enforce_csrf(request: HttpRequest) -> None:
    """Django's own CSRF check on ``request``; :class:`CSRFRejectedError` when it fails.

    The check answers with the ``CSRF_FAILURE_VIEW`` response when it refuses; only whether it
    answered matters here (the reason is logged by Django on ``django.security.csrf``).
    """
    check = CsrfViewMiddleware(_no_view)
    check.process_request(request)
    if check.process_view(request, _no_view, (), {}) is not None:
        raise CSRFRejectedError()


def set_token_cookies(
    response: HttpResponseBase, pair: TokenPair, config: AuthConfig | None = None
) -> None:
    """Put the access and refresh tokens of ``pair`` in httpOnly cookies on ``response``."""
    config = config or get_settings(AuthConfig)
    common = {
        "domain": config.cookie_domain,
        "secure": config.cookie_secure,
        "httponly": True,
        "samesite": config.cookie_samesite,
    }
    response.set_cookie(
        config.access_cookie_name,
        pair.access_token,
        max_age=config.access_token_lifetime,
        path=config.cookie_path,
        **common,  # type: ignore[arg-type]
    )
    response.set_cookie(
        config.refresh_cookie_name,
        pair.refresh_token,
        max_age=config.refresh_token_lifetime,
        path=config.refresh_cookie_path,
        **common,  # type: ignore[arg-type]
    )


def delete_token_cookies(response: HttpResponseBase, config: AuthConfig | None = None) -> None:
    """Expire both token cookies (same name, path and domain as :func:`set_token_cookies`)."""
    config = config or get_settings(AuthConfig)
    for name, path in (
        (config.access_cookie_name, config.cookie_path),
        (config.refresh_cookie_name, config.refresh_cookie_path),
    ):
        response.delete_cookie(
            name,
            path=path,
            domain=config.cookie_domain,
            samesite=config.cookie_samesite,  # type: ignore[arg-type]
        )
