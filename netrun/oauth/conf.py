"""Settings of ``netrun.oauth``: ``NETRUN_OAUTH_*`` Django settings, ``OAUTH_*`` variables.

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

Each field is the setting's name without ``NETRUN_OAUTH_``, lower-cased
(``conf.login_mode``), read (highest first) from an explicit argument, the Django setting,
the environment variable ``OAUTH_<NAME>``, ``.env``, the default; ``conf`` is cached and
refreshed by netrun.config's ``setting_changed`` receiver. ``providers``, ``tenant_rules`` and
``tenant_map`` hold what was set: the system checks ``netrun.oauth.E001``/``E009`` validate
their shape, and :meth:`OAuthConfig.provider_options` gives the well-formed providers.

A provider's ``client_id`` / ``client_secret`` may instead come from the environment
variables ``OAUTH_<NAME>_CLIENT_ID`` / ``OAUTH_<NAME>_CLIENT_SECRET`` (name upper-cased,
other characters as ``_``), so secrets stay out of ``settings.py``. Framework-neutral: no
Django import.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from netrun.config import BaseConfig, Field, NetrunConfigDict, app_settings

__all__ = ["OAuthConfig", "conf", "env_prefix"]


def env_prefix(provider: str) -> str:
    """``OAUTH_<NAME>_``: the environment prefix of one provider's credentials."""
    return "OAUTH_" + re.sub(r"[^A-Z0-9]", "_", provider.upper()) + "_"


class OAuthConfig(BaseConfig):
    """Providers, the login mode, and how a sign-in maps to a user and a tenant."""

    model_config = NetrunConfigDict(env_prefix="OAUTH_", django_prefix="NETRUN_OAUTH_")

    # Any: netrun.oauth.E001 reports a value that is not a dict of dicts, naming the setting.
    providers: Any = Field(
        default_factory=dict, secret=True, description="name -> provider options."
    )
    login_mode: str = Field("session", description='"session" or "jwt".')
    token_issuer: str = Field(
        "netrun.oauth.login.issue_netrun_jwt_pair",
        description="callable(user=, identity=, tenant_id=) -> tokens, for jwt mode.",
    )
    jwt_manager: str = Field(
        "netrun.auth.get_jwt_manager", description="Factory the default issuer calls."
    )
    tenant_resolver: str = Field(
        "netrun.oauth.login.resolve_tenant", description="callable(identity) -> tenant id."
    )
    # Any: netrun.oauth.E009 reports anything but a list of "tid" / "email_domain".
    tenant_rules: Any = Field(
        ("tid", "email_domain"), description="What the default resolver looks at."
    )
    tenant_map: Any = Field(
        default_factory=dict, description="IdP tenant ID or email domain -> tenant."
    )
    require_tenant: bool = Field(False, description="Refuse sign-ins that map to no tenant.")
    create_users: bool = Field(True, description="Create a user for a new identity.")
    link_by_email: bool = Field(
        False, description="Link a new identity to the user with the same verified email."
    )
    login_redirect_url: str | None = Field(
        None, description="After a session login without next; unset: LOGIN_REDIRECT_URL."
    )
    state_max_age: int = Field(600, description="Seconds a login attempt stays valid.")

    def provider_options(self) -> dict[str, dict[str, Any]]:
        """Every well-formed provider entry, credentials from the environment merged in."""
        if not isinstance(self.providers, Mapping):
            return {}
        result: dict[str, dict[str, Any]] = {}
        for name, options in self.providers.items():
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


conf = app_settings(OAuthConfig)
