"""The JWKS endpoint: ``/.well-known/jwks.json`` with the public keys that verify tokens.

Include ``netrun.auth.urls`` at the root (``path("", include("netrun.auth.urls"))``) or route
:func:`jwks_view` yourself. HMAC keys are never published; the document is empty for HS*,
and when no key loads (none configured, or one that does not parse: ``netrun.auth.E001``/
``E004`` and the ``auth_keys_unavailable`` log name the setting), since nothing verifies.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from netrun.auth.tokens import get_jwt_manager
from netrun.errors import ConfigurationError

__all__ = ["jwks_view"]


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
