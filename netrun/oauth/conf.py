"""Settings of ``netrun.oauth``, read from Django settings at each use.

=====================================  ==================================================  ==========================================
Setting                                Default                                             Meaning
=====================================  ==================================================  ==========================================
``NETRUN_OAUTH_PROVIDERS``             ``{}``                                              name -> provider options (see the docs)
``NETRUN_OAUTH_LOGIN_MODE``            ``"session"``                                       ``"session"``: Django login; ``"jwt"``: a
                                                                                           netrun JWT pair in a JSON answer
``NETRUN_OAUTH_TOKEN_ISSUER``          ``"netrun.oauth.login.issue_netrun_jwt_pair"``      callable(user=, identity=, tenant_id=)
                                                                                           -> token mapping, for ``"jwt"`` mode
``NETRUN_OAUTH_JWT_MANAGER``           ``"netrun.auth.get_jwt_manager"``                   factory the default issuer calls
``NETRUN_OAUTH_TENANT_RESOLVER``       ``"netrun.oauth.login.resolve_tenant"``             callable(identity) -> tenant id or None
``NETRUN_OAUTH_TENANT_RULES``          ``("tid", "email_domain")``                         what the default resolver looks at
``NETRUN_OAUTH_TENANT_MAP``            ``{}``                                              IdP tenant ID or email domain -> tenant
``NETRUN_OAUTH_REQUIRE_TENANT``        ``False``                                           refuse sign-ins that map to no tenant
``NETRUN_OAUTH_CREATE_USERS``          ``True``                                            create a user for a new identity
``NETRUN_OAUTH_LINK_BY_EMAIL``         ``False``                                           link a new identity to the user with the
                                                                                           same VERIFIED email
``NETRUN_OAUTH_LOGIN_REDIRECT_URL``    ``settings.LOGIN_REDIRECT_URL``                     after a session login without ``next``
``NETRUN_OAUTH_STATE_MAX_AGE``         ``600``                                             seconds a login attempt stays valid
=====================================  ==================================================  ==========================================

A provider's ``client_id`` / ``client_secret`` may instead come from the environment
variables ``OAUTH_<NAME>_CLIENT_ID`` / ``OAUTH_<NAME>_CLIENT_SECRET`` (name upper-cased,
other characters as ``_``), so secrets stay out of ``settings.py``. Values are validated by
the system checks ``netrun.oauth.E0NN``; nothing is read at import time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from netrun.core.conf import get_setting

__all__ = ["OAuthSettings", "conf", "env_prefix"]


def env_prefix(provider: str) -> str:
    """``OAUTH_<NAME>_``: the environment prefix of one provider's credentials."""
    return "OAUTH_" + re.sub(r"[^A-Z0-9]", "_", provider.upper()) + "_"


class OAuthSettings:
    """One typed, lazily read property per setting."""

    @property
    def PROVIDERS(self) -> Any:
        # Any: the checks report a value that is not a dict of dicts; readers use providers().
        return get_setting("NETRUN_OAUTH_PROVIDERS", {})

    def providers(self) -> dict[str, dict[str, Any]]:
        """Every well-formed provider entry, credentials from the environment merged in."""
        raw = self.PROVIDERS
        if not isinstance(raw, Mapping):
            return {}
        result: dict[str, dict[str, Any]] = {}
        for name, options in raw.items():
            if isinstance(name, str) and isinstance(options, Mapping):
                merged = dict(options)
                prefix = env_prefix(name)
                for key in ("client_id", "client_secret"):
                    if not merged.get(key):
                        value = os.environ.get(prefix + key.upper())
                        if value:
                            merged[key] = value
                result[name] = merged
        return result

    @property
    def LOGIN_MODE(self) -> str:
        return str(get_setting("NETRUN_OAUTH_LOGIN_MODE", "session"))

    @property
    def TOKEN_ISSUER(self) -> str:
        return str(
            get_setting("NETRUN_OAUTH_TOKEN_ISSUER", "netrun.oauth.login.issue_netrun_jwt_pair")
        )

    @property
    def JWT_MANAGER(self) -> str:
        return str(get_setting("NETRUN_OAUTH_JWT_MANAGER", "netrun.auth.get_jwt_manager"))

    @property
    def TENANT_RESOLVER(self) -> str:
        return str(get_setting("NETRUN_OAUTH_TENANT_RESOLVER", "netrun.oauth.login.resolve_tenant"))

    @property
    def TENANT_RULES(self) -> Sequence[str]:
        value = get_setting("NETRUN_OAUTH_TENANT_RULES", ("tid", "email_domain"))
        return (value,) if isinstance(value, str) else tuple(value)

    @property
    def TENANT_MAP(self) -> Mapping[str, str]:
        value = get_setting("NETRUN_OAUTH_TENANT_MAP", {})
        return value if isinstance(value, Mapping) else {}

    @property
    def REQUIRE_TENANT(self) -> bool:
        return bool(get_setting("NETRUN_OAUTH_REQUIRE_TENANT", False))

    @property
    def CREATE_USERS(self) -> bool:
        return bool(get_setting("NETRUN_OAUTH_CREATE_USERS", True))

    @property
    def LINK_BY_EMAIL(self) -> bool:
        return bool(get_setting("NETRUN_OAUTH_LINK_BY_EMAIL", False))

    @property
    def LOGIN_REDIRECT_URL(self) -> str:
        return str(
            get_setting(
                "NETRUN_OAUTH_LOGIN_REDIRECT_URL",
                get_setting("LOGIN_REDIRECT_URL", "/accounts/profile/"),
            )
        )

    @property
    def STATE_MAX_AGE(self) -> int:
        return int(get_setting("NETRUN_OAUTH_STATE_MAX_AGE", 600))


conf = OAuthSettings()
