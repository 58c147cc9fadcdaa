"""Django glue shared by the DRF authenticator and the middleware: users and request context.

**Where the context binding ends.** DRF authenticates lazily, inside the view
(``APIView.initial``), so the authenticator cannot wrap the view in a ``with`` block. It
enters a :func:`netrun.core.context.bind` for the user and tenant and records it in a
per-context stack; :func:`end_request_context` exits every recorded binding in reverse
order. It is called

* by :class:`netrun.auth.middleware.JWTAuthenticationMiddleware`, when installed, as the
  response leaves it (same thread, same context as the view);
* otherwise by Django's ``request_finished`` signal (connected in ``ready()``), which a WSGI
  server sends from the thread that served the request, once the response is closed.

So a WSGI thread that serves request after request never carries one request's user or tenant
into the next. Under ASGI every request runs in its own copy of the context (and sync views
in a further copy), so nothing can leak there; exiting a binding from another context copy
raises ``ValueError`` in ``contextvars``, which is then ignored on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError

from netrun.auth.audit import audit_failure
from netrun.auth.conf import AuthConfig
from netrun.auth.exceptions import TokenRejectedError
from netrun.config import get_settings
from netrun.core.context import ContextBinding, bind

__all__ = ["ClaimsUser", "bind_request_context", "end_request_context", "resolve_user"]

_open: ContextVar[list[ContextBinding[None]] | None] = ContextVar(
    "netrun_auth_request_bindings", default=None
)


class ClaimsUser:
    """A user built from verified claims, for ``stateless_users`` and IdP tokens: no query."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, claims: Mapping[str, Any]) -> None:
        self.claims = dict(claims)
        self.pk = self.id = str(claims.get("sub", ""))
        self.username = self.pk
        roles = claims.get("roles") or []
        self.roles = [str(role) for role in roles] if isinstance(roles, list) else []
        tenant = claims.get("tenant_id")
        self.tenant_id = str(tenant) if tenant is not None else None

    def __str__(self) -> str:
        return self.username

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClaimsUser) and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return perm in (self.claims.get("permissions") or [])


def resolve_user(claims: Mapping[str, Any], config: AuthConfig | None = None) -> Any:
    """The Django user of ``sub`` (matched to ``user_id_field``), active; else a 401."""
    config = config or get_settings(AuthConfig)
    from_idp = config.idp_issuer is not None and claims.get("iss") == config.idp_issuer
    if config.stateless_users or from_idp:
        return ClaimsUser(claims)
    model = get_user_model()
    try:
        user = model._default_manager.filter(**{config.user_id_field: claims.get("sub")}).first()
    except (ValueError, TypeError, DjangoValidationError):
        user = None
    if user is None or not getattr(user, "is_active", True):
        error = TokenRejectedError("unknown_user" if user is None else "inactive_user")
        audit_failure(error, claims=claims)
        raise error
    return user


def bind_request_context(claims: Mapping[str, Any]) -> ContextBinding[None]:
    """Bind the token's user (and tenant, when it names one) until the request ends."""
    values: dict[str, Any] = {"user_id": claims.get("sub")}
    if claims.get("tenant_id") is not None:
        values["tenant_id"] = claims["tenant_id"]
    binding = bind(**values)
    binding.__enter__()
    stack = _open.get()
    if stack is None:
        stack = []
        _open.set(stack)
    stack.append(binding)
    return binding


def end_request_context(**kwargs: Any) -> None:
    """Exit every binding :func:`bind_request_context` opened (a ``request_finished`` receiver)."""
    stack = _open.get()
    while stack:
        binding = stack.pop()
        try:
            binding.__exit__(None, None, None)
        except ValueError:
            # Opened in another context copy (ASGI): that copy, and its values, are gone.
            continue
