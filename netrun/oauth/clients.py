"""The clients of the providers in ``NETRUN_OAUTH_PROVIDERS``, built once and shared.

``get_client("google")`` returns the same :class:`~netrun.oauth.OAuthClient` (and so the same
discovery and JWKS caches) to every request; ``get_service_client("billing")`` the same
token-caching :class:`~netrun.oauth.ClientCredentialsClient`. When a reload of the settings
(``override_settings``, ``reload_settings()``) changes the providers, they are dropped and
the next call rebuilds them.
"""

from __future__ import annotations

import threading
from typing import Any

from netrun.config import SettingsChange
from netrun.errors import ConfigurationError, ResourceNotFoundError
from netrun.oauth._client import OAuthClient
from netrun.oauth._client_credentials import ClientCredentialsClient
from netrun.oauth._providers import ProviderConfig, build_provider
from netrun.oauth.conf import OAuthConfig, conf

__all__ = [
    "get_client",
    "get_provider",
    "get_service_client",
    "reset_clients",
    "reset_on_provider_change",
]

_lock = threading.Lock()
_clients: dict[str, OAuthClient] = {}
_service_clients: dict[str, ClientCredentialsClient] = {}


def get_provider(name: str) -> ProviderConfig:
    """The provider ``name`` of ``NETRUN_OAUTH_PROVIDERS``; 404 when there is none."""
    options = conf.provider_options().get(name)
    if options is None:
        raise ResourceNotFoundError("Unknown sign-in provider.", provider=name)
    try:
        return build_provider(name, options)
    except ValueError as error:
        # manage.py check reports this as netrun.oauth.E00N; the message names no secret.
        raise ConfigurationError(f"NETRUN_OAUTH_PROVIDERS[{name!r}] is invalid: {error}.") from None


def get_client(name: str) -> OAuthClient:
    with _lock:
        client = _clients.get(name)
        if client is None:
            client = _clients[name] = OAuthClient(get_provider(name))
        return client


def get_service_client(name: str) -> ClientCredentialsClient:
    with _lock:
        client = _service_clients.get(name)
        if client is None:
            client = _service_clients[name] = ClientCredentialsClient(get_provider(name))
        return client


def reset_clients() -> None:
    """Close and forget every client; the next call builds them from the settings again."""
    with _lock:
        for client in _clients.values():
            client.close()
        for service_client in _service_clients.values():
            service_client.close()
        _clients.clear()
        _service_clients.clear()


def reset_on_provider_change(change: SettingsChange[Any]) -> None:
    """A :func:`netrun.config.on_reload` hook (see ``apps.py``): new providers, new clients."""
    if change.config_class is OAuthConfig and "providers" in change.changed:
        reset_clients()
