"""System checks of ``netrun.oauth``, registered in ``NetrunOauthConfig.ready()``.

======================  ===========================================================================
ID                      Reported when
======================  ===========================================================================
``netrun.oauth.E001``   ``NETRUN_OAUTH_PROVIDERS`` is not a dict of provider name -> options dict.
``netrun.oauth.E002``   A provider's ``type`` is not one of ``entra``, ``google``, ``github``, ``oidc``.
``netrun.oauth.E003``   A provider has no ``client_id`` (setting or ``OAUTH_<NAME>_CLIENT_ID``).
``netrun.oauth.E004``   A provider has no ``client_secret`` (setting or ``OAUTH_<NAME>_CLIENT_SECRET``).
``netrun.oauth.E005``   A provider URL (discovery, endpoints, ``redirect_uri``) is not ``https://``
                        while ``DEBUG`` is off.
``netrun.oauth.E006``   Any other invalid provider option (an ``oidc`` provider without
                        ``discovery_url``, ``none``/HMAC in ``id_token_algorithms``, ...).
``netrun.oauth.E007``   ``NETRUN_OAUTH_LOGIN_MODE`` is not ``"session"`` or ``"jwt"``.
``netrun.oauth.E008``   A hook (``NETRUN_OAUTH_TENANT_RESOLVER``, ``NETRUN_OAUTH_TOKEN_ISSUER`` and,
                        in ``"jwt"`` mode, ``NETRUN_OAUTH_JWT_MANAGER``) cannot be imported.
``netrun.oauth.E009``   ``NETRUN_OAUTH_TENANT_RULES`` holds something other than ``"tid"`` /
                        ``"email_domain"``, or ``NETRUN_OAUTH_TENANT_MAP`` is not a dict.
``netrun.oauth.E010``   A ``NETRUN_OAUTH_*`` setting (or ``OAUTH_*`` variable) has the wrong type
                        (``NETRUN_OAUTH_STATE_MAX_AGE = "ten"``); the other checks wait for it.
``netrun.oauth.W001``   A provider has an option Netrun does not know (a typo?).
======================  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from netrun.config import get_settings
from netrun.config.checks import setting_errors
from netrun.errors import NetrunException
from netrun.oauth._providers import PROVIDER_TYPES, build_provider, unknown_keys
from netrun.oauth.conf import OAuthConfig, conf, env_prefix

__all__ = ["check_hooks", "check_providers", "check_settings"]

_URL_KEYS = (
    "discovery_url", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
    "jwks_uri", "emails_endpoint", "redirect_uri",
)  # fmt: skip
_TENANT_RULES = frozenset({"tid", "email_domain"})


def _provider_errors(name: str, options: Mapping[str, Any]) -> list[CheckMessage]:
    where = f"NETRUN_OAUTH_PROVIDERS[{name!r}]"
    errors: list[CheckMessage] = []
    if options.get("type") not in PROVIDER_TYPES:
        errors.append(
            Error(
                f"{where} has unknown type {options.get('type')!r}.",
                hint=f"Use one of {', '.join(PROVIDER_TYPES)}.",
                id="netrun.oauth.E002",
            )
        )
    prefix = env_prefix(name)
    if not options.get("client_id"):
        errors.append(
            Error(
                f"{where} has no client_id.",
                hint=f"Set 'client_id' or the environment variable {prefix}CLIENT_ID.",
                id="netrun.oauth.E003",
            )
        )
    if not options.get("client_secret"):
        errors.append(
            Error(
                f"{where} has no client_secret.",
                hint=f"Set the environment variable {prefix}CLIENT_SECRET (keep secrets out "
                "of settings.py).",
                id="netrun.oauth.E004",
            )
        )
    if not settings.DEBUG:
        for key in _URL_KEYS:
            value = options.get(key)
            if value and not str(value).lower().startswith("https://"):
                errors.append(
                    Error(
                        f"{where}[{key!r}] is not an https:// URL.",
                        hint="Codes and tokens must only travel over TLS; plain http is "
                        "accepted only while DEBUG is on.",
                        id="netrun.oauth.E005",
                    )
                )
    if not errors:
        try:
            build_provider(name, options)
        except ValueError as error:
            errors.append(Error(f"{where} is invalid: {error}.", id="netrun.oauth.E006"))
    extra = unknown_keys(options)
    if extra:
        errors.append(
            Warning(
                f"{where} has unknown option(s): {', '.join(extra)}.",
                hint="See docs/apps/oauth.md for the provider options.",
                id="netrun.oauth.W001",
            )
        )
    return errors


def _builds() -> bool:
    try:
        get_settings(OAuthConfig)
    except NetrunException:
        return False  # check_settings reports it
    return True


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        get_settings(OAuthConfig)
    except NetrunException as error:
        return setting_errors(error, "netrun.oauth.E010")
    return []


def check_providers(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not _builds():
        return []
    raw = conf.providers
    if not isinstance(raw, Mapping) or not all(
        isinstance(name, str) and isinstance(options, Mapping) for name, options in raw.items()
    ):
        return [
            Error(
                "NETRUN_OAUTH_PROVIDERS must be a dict of provider name -> options dict.",
                hint='For example {"google": {"type": "google", "client_id": "..."}}.',
                id="netrun.oauth.E001",
            )
        ]
    errors: list[CheckMessage] = []
    for name, options in conf.provider_options().items():
        errors.extend(_provider_errors(name, options))
    return errors


def check_hooks(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not _builds():
        return []
    errors: list[CheckMessage] = []
    mode = conf.login_mode
    if mode not in ("session", "jwt"):
        errors.append(
            Error(
                f"NETRUN_OAUTH_LOGIN_MODE is {mode!r}.",
                hint='Use "session" (Django login) or "jwt" (a netrun JWT pair).',
                id="netrun.oauth.E007",
            )
        )
    hooks = {
        "NETRUN_OAUTH_TENANT_RESOLVER": conf.tenant_resolver,
        "NETRUN_OAUTH_TOKEN_ISSUER": conf.token_issuer,
    }
    if mode == "jwt":
        hooks["NETRUN_OAUTH_JWT_MANAGER"] = conf.jwt_manager
    for setting, path in hooks.items():
        try:
            target = import_string(path)
        except ImportError as error:
            errors.append(
                Error(
                    f"{setting} = {path!r} cannot be imported: {error}.",
                    hint="Give the dotted path of a callable"
                    + (" (is netrun.auth installed?)." if path.startswith("netrun.auth") else "."),
                    id="netrun.oauth.E008",
                )
            )
            continue
        if not callable(target):
            errors.append(Error(f"{setting} = {path!r} is not callable.", id="netrun.oauth.E008"))
    rules = conf.tenant_rules
    tenant_map = conf.tenant_map
    if (
        isinstance(rules, str)
        or not isinstance(rules, (list, tuple))
        or not set(rules) <= _TENANT_RULES
        or not isinstance(tenant_map, Mapping)
    ):
        errors.append(
            Error(
                "NETRUN_OAUTH_TENANT_RULES must be a list of 'tid' / 'email_domain' and "
                "NETRUN_OAUTH_TENANT_MAP a dict.",
                hint='For example ("tid", "email_domain") and {"acme.com": "acme"}.',
                id="netrun.oauth.E009",
            )
        )
    return errors
