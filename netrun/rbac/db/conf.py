"""Settings of PostgreSQL row-level security, read lazily at each use.

=========================================  ===========  =========================================
Setting                                    Default      Meaning
=========================================  ===========  =========================================
``NETRUN_RBAC_RLS_APP_ROLE``               ``None``     role the tenant policy is ``TO``
                                                        (``None``: ``PUBLIC``)
``NETRUN_RBAC_RLS_CROSS_TENANT_ROLE``      ``None``     role of the cross-tenant policy
``NETRUN_RBAC_RLS_DATABASE``               ``default``  alias the app connects with (RLS enforced)
``NETRUN_RBAC_RLS_OWNER_DATABASE``         ``owner``    alias migrations run on (table owner)
``NETRUN_RBAC_TENANT_SCOPE``               ``session``  ``"session"``: the tenant is written once
                                                        per session; ``"transaction"``: at the
                                                        start of every transaction (poolers in
                                                        transaction mode)
``NETRUN_RBAC_TENANT_SESSION_CHECK``       ``auto``     session scope only: ``"auto"`` reads the
                                                        tenant back inside every transaction once
                                                        a pooler is detected, ``"always"`` does
                                                        so on every connection, ``"off"`` never
=========================================  ===========  =========================================
"""

from __future__ import annotations

from django.conf import settings

__all__ = [
    "SESSION_CHECKS",
    "TENANT_SCOPES",
    "app_alias",
    "app_role",
    "cross_tenant_role",
    "owner_alias",
    "tenant_scope",
    "tenant_session_check",
]

#: Values of ``NETRUN_RBAC_TENANT_SCOPE``.
TENANT_SCOPES = ("session", "transaction")
#: Values of ``NETRUN_RBAC_TENANT_SESSION_CHECK``.
SESSION_CHECKS = ("auto", "always", "off")


def _text(name: str, default: str | None) -> str | None:
    value = getattr(settings, name, default)
    return str(value) if value else default


def app_role() -> str | None:
    return _text("NETRUN_RBAC_RLS_APP_ROLE", None)


def cross_tenant_role() -> str | None:
    return _text("NETRUN_RBAC_RLS_CROSS_TENANT_ROLE", None)


def app_alias() -> str:
    return _text("NETRUN_RBAC_RLS_DATABASE", "default") or "default"


def owner_alias() -> str:
    return _text("NETRUN_RBAC_RLS_OWNER_DATABASE", "owner") or "owner"


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = getattr(settings, name, default)
    if value not in choices:
        # Reported at start-up by netrun.rbac.E007/E008; refused here too, never guessed.
        from netrun.errors import ConfigurationError

        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return str(value)


def tenant_scope() -> str:
    return _choice("NETRUN_RBAC_TENANT_SCOPE", "session", TENANT_SCOPES)


def tenant_session_check() -> str:
    return _choice("NETRUN_RBAC_TENANT_SESSION_CHECK", "auto", SESSION_CHECKS)
