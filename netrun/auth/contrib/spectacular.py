"""drf-spectacular: netrun's JWT authentication as an OpenAPI security scheme.

``netrun.auth``'s ``ready()`` imports this module when drf-spectacular is installed, which
registers :class:`JWTAuthenticationScheme`; without it drf-spectacular warns "could not
resolve authenticator" and drops the scheme. Every operation whose view authenticates with
:class:`netrun.auth.drf.JWTAuthentication` (or a subclass) then requires ``jwtAuth``: an
``http`` ``bearer`` scheme with ``bearerFormat: JWT``.

With ``NETRUN_AUTH_COOKIE_TRANSPORT`` on, the access token may also travel in its httpOnly
cookie (``NETRUN_AUTH_ACCESS_COOKIE_NAME``): a second scheme, ``jwtCookieAuth`` (``apiKey`` in
``cookie``), and each operation requires either one (OpenAPI's OR of security requirements).
:meth:`JWTAuthenticationScheme.transports` lists them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from netrun.auth.conf import conf

__all__ = ["BEARER_SCHEME", "COOKIE_SCHEME", "JWTAuthenticationScheme"]

#: The security schemes' names in ``components/securitySchemes``.
BEARER_SCHEME = "jwtAuth"
COOKIE_SCHEME = "jwtCookieAuth"

_BEARER_DEFINITION: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": (
        "A netrun access token in `Authorization: Bearer <token>`. Its `tenant_id` claim "
        "names the tenant the request acts in and its `roles` claim the caller's roles "
        "there. A missing, expired, revoked or malformed token is a 401 in the error "
        "envelope (`TOKEN_INVALID`, `TOKEN_EXPIRED`) with `WWW-Authenticate: Bearer`."
    ),
}


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The security scheme of ``netrun.auth.drf.JWTAuthentication`` and its subclasses."""

    target_class = "netrun.auth.drf.JWTAuthentication"
    match_subclasses = True

    def transports(self) -> dict[str, dict[str, Any]]:
        """Scheme name -> security scheme object, one per way the token may travel."""
        transports = {BEARER_SCHEME: _BEARER_DEFINITION}
        if conf.cookie_transport:
            transports[COOKIE_SCHEME] = {
                "type": "apiKey",
                "in": "cookie",
                "name": conf.access_cookie_name,
                "description": (
                    "The access token in its httpOnly cookie, for browser clients; read only "
                    "when there is no Authorization header. Unsafe methods also need the "
                    "CSRF token (403 otherwise)."
                ),
            }
        return transports

    # drf-spectacular reads ``name`` on the instance: a list of names goes with a list of
    # definitions. One transport stays a plain name (the Swagger UI view expects one).
    @property
    def name(self) -> str | list[str]:  # type: ignore[override]
        names = list(self.transports())
        return names[0] if len(names) == 1 else names

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list[Any]]]:
        # Each transport alone authenticates: a list of requirements is their OR.
        return [{name: []} for name in self.transports()]

    def get_security_definition(
        self, auto_schema: AutoSchema
    ) -> dict[str, Any] | list[dict[str, Any]]:
        definitions = list(self.transports().values())
        return definitions[0] if len(definitions) == 1 else definitions
