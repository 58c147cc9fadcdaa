"""A stand-in for ``azure.keyvault.secrets.SecretClient``: same two methods, no network."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class FakeSecretClient:
    def __init__(self, secrets: dict[str, str], *, disabled: tuple[str, ...] = ()) -> None:
        self.secrets = secrets
        self.disabled = disabled
        self.listed = 0
        self.fetched: list[str] = []

    def list_properties_of_secrets(self, **kwargs: Any) -> list[SimpleNamespace]:
        self.listed += 1
        return [
            SimpleNamespace(name=name, enabled=name not in self.disabled) for name in self.secrets
        ]

    def get_secret(self, name: str, version: str | None = None, **kwargs: Any) -> SimpleNamespace:
        self.fetched.append(name)
        if name not in self.secrets:
            raise LookupError(f"SecretNotFound: {name}")
        return SimpleNamespace(value=self.secrets[name])
