"""Login views: ``<provider>/login/`` starts the authorization code flow, ``callback/`` ends it.

The login view keeps the state, nonce and PKCE verifier in the Django session (so the
callback must come back to the same browser) and redirects to the provider. The callback:

1. refuses an ``error=`` answer (``access_denied`` when the user declined consent);
2. takes the state out of the session (single use) and marks it used in the cache, so a
   replayed state is refused even from a copy of the session;
3. exchanges the code with the PKCE verifier, verifies the ID token, reads the user;
4. maps the tenant, links or creates the user, then starts a Django session or answers with
   a netrun JWT pair, by ``NETRUN_OAUTH_LOGIN_MODE``.

Every failure is a Netrun error, rendered as the envelope by the errors middleware, and
logged (``oauth_login_failed``) with the request's correlation ID; codes, tokens and secrets
are never logged.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import login as django_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from netrun.errors import AuthenticationError, NetrunException, TenantAccessDeniedError
from netrun.logging import get_logger
from netrun.oauth._client import ExternalIdentity, safe_error_code
from netrun.oauth.clients import get_client
from netrun.oauth.conf import conf
from netrun.oauth.login import TokenIssuer, link_user, load_hook

__all__ = ["callback", "login"]

logger = get_logger(__name__)

SESSION_KEY = "netrun_oauth_pending"
#: Login attempts kept per session: enough for a few tabs, too few to grow the session.
MAX_PENDING = 5
_USED_STATE_PREFIX = "netrun_oauth:used_state:"


@never_cache
@require_GET
def login(request: HttpRequest, provider: str) -> HttpResponse:
    client = get_client(provider)
    redirect_uri = client.config.redirect_uri or request.build_absolute_uri(
        reverse("netrun_oauth:callback", args=[provider])
    )
    next_url = request.GET.get("next")
    if next_url and not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # An open redirect after login is a phishing tool: ignore foreign targets.
        next_url = None
    authorization = client.authorization_request(redirect_uri)
    pending: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
    pending[authorization.state] = {
        "provider": provider,
        "nonce": authorization.nonce,
        "code_verifier": authorization.code_verifier,
        "redirect_uri": redirect_uri,
        "next": next_url,
        "created": time.time(),
    }
    request.session[SESSION_KEY] = dict(
        sorted(pending.items(), key=lambda item: item[1]["created"])[-MAX_PENDING:]
    )
    logger.info("oauth_login_started", provider=provider)
    return HttpResponseRedirect(authorization.url)


@never_cache
@require_GET
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        return _callback(request, provider)
    except NetrunException as error:
        logger.warning(
            "oauth_login_failed",
            provider=provider,
            error_code=error.error_code,
            reason=error.details.get("reason"),
            status=error.status_code,
            result="refused" if error.status_code < 500 else "error",
        )
        raise


def _take_pending(request: HttpRequest, provider: str, state: str | None) -> dict[str, Any]:
    pending: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
    entry = pending.pop(state, None) if state else None
    if entry is not None:
        request.session[SESSION_KEY] = pending
    if not isinstance(entry, dict) or entry.get("provider") != provider:
        raise AuthenticationError(
            "The sign-in attempt is unknown or was already used.", reason="invalid_state"
        )
    digest = hashlib.sha256(str(state).encode()).hexdigest()
    # cache.add is atomic: of two concurrent callbacks with the same state, one wins.
    if not cache.add(_USED_STATE_PREFIX + digest, True, timeout=conf.state_max_age * 2):
        raise AuthenticationError(
            "The sign-in attempt is unknown or was already used.", reason="state_replayed"
        )
    if time.time() - float(entry.get("created", 0)) > conf.state_max_age:
        raise AuthenticationError("The sign-in attempt has expired.", reason="state_expired")
    return entry


def _callback(request: HttpRequest, provider: str) -> HttpResponse:
    client = get_client(provider)
    state = request.GET.get("state")
    error = request.GET.get("error")
    if error is not None:
        reason = safe_error_code(error)
        if state:
            # Burn the attempt so its state cannot be used afterwards.
            request.session[SESSION_KEY] = {
                k: v for k, v in (request.session.get(SESSION_KEY) or {}).items() if k != state
            }
        raise AuthenticationError(
            "Sign-in was cancelled or refused at the identity provider."
            if reason == "access_denied"
            else "The identity provider could not complete the sign-in.",
            provider=provider,
            reason=reason,
        )
    entry = _take_pending(request, provider, state)
    code = request.GET.get("code")
    if not code:
        raise AuthenticationError("The identity provider sent no code.", reason="missing_code")
    identity = client.complete(
        code,
        redirect_uri=entry["redirect_uri"],
        code_verifier=entry["code_verifier"],
        nonce=entry.get("nonce"),
    )
    resolver = load_hook("NETRUN_OAUTH_TENANT_RESOLVER", conf.tenant_resolver)
    tenant_id = resolver(identity)
    if tenant_id is None and conf.require_tenant:
        raise TenantAccessDeniedError(
            "This account does not belong to any tenant.", reason="no_tenant"
        )
    user = link_user(identity, tenant_id)
    response = _finish(request, user, identity, tenant_id, entry.get("next"))
    logger.info(
        "oauth_login_succeeded",
        provider=provider,
        user_id=str(user.pk),
        tenant_id=tenant_id,
        mode=conf.login_mode,
        result="ok",
    )
    return response


def _finish(
    request: HttpRequest,
    user: Any,
    identity: ExternalIdentity,
    tenant_id: str | None,
    next_url: str | None,
) -> HttpResponse:
    if conf.login_mode == "jwt":
        issuer: TokenIssuer = load_hook("NETRUN_OAUTH_TOKEN_ISSUER", conf.token_issuer)
        tokens = dict(issuer(user=user, identity=identity, tenant_id=tenant_id))
        tokens.setdefault("tenant_id", tenant_id)
        return JsonResponse(tokens)
    # login() rotates the session key (no fixation) and keeps the tenant for TenantMiddleware.
    django_login(request, user, backend=_backend())
    request.session["netrun_tenant_id"] = tenant_id
    return HttpResponseRedirect(next_url or conf.login_redirect_url or settings.LOGIN_REDIRECT_URL)


def _backend() -> str:
    backends = getattr(
        settings, "AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]
    )
    return str(backends[0])
