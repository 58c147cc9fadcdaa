"""Fixtures for the netrun.errors tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

DRF_SETTINGS = {
    "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "netrun.errors.drf.ContentNegotiation",
}
MIDDLEWARE_PATH = "netrun.errors.middleware.ErrorEnvelopeMiddleware"


@pytest.fixture
def drf_handler() -> Iterator[None]:
    """DRF configured with Netrun's exception handler (DRF reloads on setting_changed)."""
    with override_settings(REST_FRAMEWORK=DRF_SETTINGS):
        yield


@pytest.fixture
def envelope_middleware() -> Iterator[None]:
    """The project's middleware plus ErrorEnvelopeMiddleware."""
    from django.conf import settings

    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, MIDDLEWARE_PATH]):
        yield


@pytest.fixture
def quiet_client() -> Client:
    """A client that returns 500 responses instead of re-raising the view's exception."""
    return Client(raise_request_exception=False)
