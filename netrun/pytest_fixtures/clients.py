"""Test clients that carry a netrun JWT: DRF's ``APIClient`` and Django's ``Client``.

The plugin's ``netrun_api_client`` and ``netrun_django_client`` fixtures build them; the
attributes say who the client acts as.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from rest_framework.test import APIClient

__all__ = ["Identity", "NetrunAPIClient", "NetrunClient"]


@dataclass
class Identity:
    """Who an authenticated test client acts as, and the token that says so."""

    user: Any
    tenant: Any
    roles: list[str]
    token: str
    claims: dict[str, Any] = field(default_factory=dict)
    membership: Any = None

    @property
    def tenant_id(self) -> str | None:
        if self.tenant is None:
            return None
        return str(getattr(self.tenant, "pk", self.tenant))

    @property
    def authorization(self) -> str:
        return f"Bearer {self.token}"


class _ActsAs:
    """Who the client acts as, read from its :class:`Identity`."""

    identity: Identity

    @property
    def user(self) -> Any:
        return self.identity.user

    @property
    def tenant(self) -> Any:
        return self.identity.tenant

    @property
    def token(self) -> str:
        return self.identity.token


class NetrunAPIClient(_ActsAs, APIClient):
    """A DRF ``APIClient`` sending ``Authorization: Bearer <token>`` on every request."""


class NetrunClient(_ActsAs, Client):
    """A Django test ``Client`` sending ``Authorization: Bearer <token>`` on every request."""


def api_client_for(identity: Identity) -> NetrunAPIClient:
    client = NetrunAPIClient()
    client.identity = identity
    client.credentials(HTTP_AUTHORIZATION=identity.authorization)
    return client


def django_client_for(identity: Identity) -> NetrunClient:
    client = NetrunClient(HTTP_AUTHORIZATION=identity.authorization)
    client.identity = identity
    return client
