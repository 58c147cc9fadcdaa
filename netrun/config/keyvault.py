"""Azure Key Vault as the last settings source before defaults, fetched lazily.

Start-up lists the vault's secret *names* once (metadata only); a secret's *value* is fetched
the first time code calls ``get_secret_value()`` on the field, and then kept. A process that
never uses the OpenAI key never fetches it, and a vault outage only hurts the code paths that
need a secret they have not read yet.

Only ``SecretStr`` fields are looked up, because only they can defer their value: a plain
``int`` or ``str`` must be known when the settings object is validated.

The client is anything with the two methods of ``azure.keyvault.secrets.SecretClient`` used
here, so tests pass a fake object and never touch the network::

    configure_key_vault(SecretClient(vault_url, DefaultAzureCredential()))
    # or: configure_key_vault(vault_url="https://my-vault.vault.azure.net/")
    # or: the AZURE_KEY_VAULT_URL environment variable, with the [azure] extra installed

Framework-neutral.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import Any, Protocol

from pydantic import SecretStr

from netrun.core.deps import require
from netrun.errors import ConfigurationError

__all__ = [
    "KEY_VAULT_URL_VARIABLE",
    "KeyVaultSecretStr",
    "SecretClientLike",
    "configure_key_vault",
    "configured_key_vault",
    "key_vault_client",
]

#: The environment variable that turns the Key Vault source on when no client is configured.
KEY_VAULT_URL_VARIABLE = "AZURE_KEY_VAULT_URL"


class _SecretProperties(Protocol):
    @property
    def name(self) -> str | None: ...

    @property
    def enabled(self) -> bool | None: ...


class _Secret(Protocol):
    @property
    def value(self) -> str | None: ...


class SecretClientLike(Protocol):
    """The part of ``azure.keyvault.secrets.SecretClient`` the source uses."""

    def list_properties_of_secrets(self, **kwargs: Any) -> Iterable[_SecretProperties]: ...

    def get_secret(self, name: str, version: str | None = None, **kwargs: Any) -> _Secret: ...


class KeyVaultSecretStr(SecretStr):
    """A ``SecretStr`` whose value is fetched from Key Vault on first use, then cached."""

    def __init__(self, client: SecretClientLike, name: str) -> None:
        # A non-empty placeholder makes str()/repr() print "**********" without a fetch.
        super().__init__("<key-vault>")
        self._client = client
        self._name = name
        self._lock = threading.Lock()
        self._fetched: str | None = None

    @property
    def secret_name(self) -> str:
        return self._name

    @property
    def fetched(self) -> bool:
        return self._fetched is not None

    def get_secret_value(self) -> str:
        if self._fetched is None:
            with self._lock:
                if self._fetched is None:
                    self._fetched = self._fetch()
        return self._fetched

    def _fetch(self) -> str:
        try:
            secret = self._client.get_secret(self._name)
        except Exception as error:
            # The SDK's message can hold the vault URL and request IDs but never the value;
            # still, only the type goes out so nothing about the vault leaks to clients.
            raise ConfigurationError(
                f"Key Vault secret {self._name!r} could not be read",
                {"secret": self._name, "error": type(error).__name__},
            ) from error
        if secret.value is None:
            raise ConfigurationError(
                f"Key Vault secret {self._name!r} has no value", {"secret": self._name}
            )
        return secret.value

    def __len__(self) -> int:
        return len(self.get_secret_value())


_lock = threading.Lock()
_configured: SecretClientLike | None = None


def configure_key_vault(
    client: SecretClientLike | None = None, *, vault_url: str | None = None
) -> None:
    """Use ``client`` (or a ``SecretClient`` for ``vault_url``) for every settings class.

    ``configure_key_vault()`` with no arguments turns the configured vault off again. A
    ``vault_url`` needs the ``[azure]`` extra; the credential is ``DefaultAzureCredential``.
    """
    global _configured
    if client is None and vault_url is not None:
        client = _client_for_url(vault_url)
    with _lock:
        _configured = client


def configured_key_vault() -> SecretClientLike | None:
    """The client in use (configured, or built for ``$AZURE_KEY_VAULT_URL``), else ``None``.

    Unlike :func:`key_vault_client` it builds nothing, so a test can put it back afterwards.
    """
    with _lock:
        return _configured


def _client_for_url(vault_url: str) -> SecretClientLike:
    require("azure.keyvault.secrets", feature="Azure Key Vault settings source", extra="azure")
    require("azure.identity", feature="Azure Key Vault settings source", extra="azure")
    from azure.identity import DefaultAzureCredential
    from azure.keyvault.secrets import SecretClient

    client: SecretClientLike = SecretClient(
        vault_url=vault_url, credential=DefaultAzureCredential()
    )
    return client


def key_vault_client() -> SecretClientLike | None:
    """The configured client; else one for ``$AZURE_KEY_VAULT_URL``; else ``None``."""
    global _configured
    with _lock:
        if _configured is not None:
            return _configured
    url = os.environ.get(KEY_VAULT_URL_VARIABLE)
    if not url:
        return None
    client = _client_for_url(url)
    with _lock:
        _configured = client
    return client


def secret_names(client: SecretClientLike) -> frozenset[str]:
    """The names of the vault's enabled secrets, lowercased (Key Vault names ignore case)."""
    names: set[str] = set()
    for properties in client.list_properties_of_secrets():
        if properties.name and properties.enabled is not False:
            names.add(properties.name.lower())
    return frozenset(names)
