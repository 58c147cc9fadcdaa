"""Fixtures of the netrun.oauth tests: the local OIDC provider and settings that use it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from netrun.oauth.clients import reset_clients
from tests.oauth.stub import CLIENT_ID, CLIENT_SECRET, StubIdP, running_idp


@pytest.fixture
def idp() -> Iterator[StubIdP]:
    """A fresh provider on 127.0.0.1 for each test, stopped afterwards."""
    with running_idp() as server:
        yield server


@pytest.fixture
def oauth_settings(settings: Any, idp: StubIdP) -> Any:
    """Settings with one OIDC provider "stub" (by discovery) and one "github" at the stub."""
    settings.ROOT_URLCONF = "tests.oauth.urls"
    settings.NETRUN_OAUTH_PROVIDERS = {
        "stub": {
            "type": "oidc",
            "discovery_url": idp.discovery_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        "github": {
            "type": "github",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authorization_endpoint": f"{idp.url}/github/authorize",
            "token_endpoint": f"{idp.url}/github/token",
            "userinfo_endpoint": f"{idp.url}/github/user",
            "emails_endpoint": f"{idp.url}/github/user/emails",
        },
    }
    return settings


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    # Clients cache discovery documents and keys of a stub that dies with its test.
    reset_clients()
    yield
    reset_clients()
