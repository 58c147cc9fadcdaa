"""The JWKS endpoint, and the refresh and logout endpoints of the cookie transport.

``/.well-known/jwks.json`` has the public keys that verify tokens. Include ``netrun.auth.urls``
at the root (``path("", include("netrun.auth.urls"))``) or route :func:`jwks_view` yourself.
HMAC keys are never published; the document is empty for HS*, and when no key loads (none
configured, or one that does not parse: ``netrun.auth.E001``/``E004`` and the
``auth_keys_unavailable`` log name the setting), since nothing verifies.

:func:`cookie_refresh_view` and :func:`cookie_logout_view` (POST, routed by you, e.g. at
``auth/refresh/`` and ``auth/logout/``) serve browser clients of :mod:`netrun.auth.cookies`:
both read the refresh cookie and both require Django's CSRF check, since the browser sends
that cookie with any request to the site.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from netrun.auth.audit import audit_failure
from netrun.auth.conf import AuthConfig
from netrun.auth.cookies import (
    CSRFRejectedError,
    delete_token_cookies,
    enforce_csrf,
    set_token_cookies,
)
from netrun.auth.exceptions import (
    AuthenticationError,
    AuthUnavailableError,
    TokenRejectedError,
    with_challenge,
)
from netrun.auth.tokens import get_jwt_manager
from netrun.config import get_settings
from netrun.errors import ConfigurationError, NetrunException, prefers_problem_json, render_error

__all__ = ["cookie_logout_view", "cookie_refresh_view", "jwks_view"]


@require_safe
@cache_control(public=True, max_age=300)
def jwks_view(request: HttpRequest) -> JsonResponse:
    """The key ring's public keys (RFC 7517), cacheable for five minutes."""
    try:
        document = get_jwt_manager().jwks()
    except ConfigurationError:
        document = {"keys": []}
    response = JsonResponse(document)
    response["Content-Type"] = "application/jwk-set+json"
    return response


def _error(request: HttpRequest, error: NetrunException) -> HttpResponseBase:
    if isinstance(error, AuthenticationError):
        with_challenge(error)
    status, headers, body = render_error(
        error, problem=prefers_problem_json(request.headers.get("Accept"))
    )
    content_type = headers.pop("Content-Type")
    return JsonResponse(body, status=status, headers=headers, content_type=content_type)


# csrf_exempt: the same check runs inside, so that a refusal is the 403 envelope.
@csrf_exempt
@never_cache
@require_POST
def cookie_refresh_view(request: HttpRequest) -> HttpResponseBase:
    """Spend the refresh cookie and set new access and refresh cookies (rotation, reuse detection).

    200 ``{"token_type": "Bearer", "expires_in": ...}`` with the new cookies (the tokens stay
    out of the body, out of reach of scripts); 401 without a valid refresh cookie, and the
    cookies are cleared; 403 when the CSRF check fails.
    """
    config = get_settings(AuthConfig)
    try:
        enforce_csrf(request)
        token = request.COOKIES.get(config.refresh_cookie_name)
        if not token:
            raise TokenRejectedError("missing_refresh_cookie")
        pair = get_jwt_manager().refresh(token)
    except CSRFRejectedError as error:
        audit_failure(error, method="cookie")
        return _error(request, error)
    except AuthenticationError as error:
        audit_failure(error, method="cookie")
        response = _error(request, error)
        delete_token_cookies(response, config)
        return response
    except (AuthUnavailableError, ConfigurationError) as error:
        return _error(request, error)
    response = JsonResponse({"token_type": pair.token_type, "expires_in": pair.expires_in})
    set_token_cookies(response, pair, config)
    return response


@csrf_exempt
@never_cache
@require_POST
def cookie_logout_view(request: HttpRequest) -> HttpResponseBase:
    """Revoke the login of the refresh cookie (its whole family) and clear both cookies: 204.

    An invalid or expired refresh cookie still clears the cookies; 403 when the CSRF check
    fails; 503 when the denylist's store is down (nothing could be revoked).
    """
    config = get_settings(AuthConfig)
    try:
        enforce_csrf(request)
        token = request.COOKIES.get(config.refresh_cookie_name)
        if token:
            get_jwt_manager().revoke_token(token)
    except CSRFRejectedError as error:
        audit_failure(error, method="cookie")
        return _error(request, error)
    except AuthenticationError:
        pass  # a token that does not verify grants nothing: clearing the cookies is enough
    except (AuthUnavailableError, ConfigurationError) as error:
        return _error(request, error)
    response = HttpResponse(status=204)
    delete_token_cookies(response, config)
    return response
