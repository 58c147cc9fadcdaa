"""Fixtures for the netrun.cors tests: a clean CORSConfig and the real middleware."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from netrun.config import clear_settings_cache
from netrun.cors.conf import CORSConfig

NETRUN_MIDDLEWARE = "netrun.cors.middleware.CorsMiddleware"
PRODUCTION = {
    "NETRUN_APP_ENVIRONMENT": "production",
    "NETRUN_CORS_PRESET": "production",
    "NETRUN_CORS_ALLOWED_ORIGINS": ["https://app.example.com"],
    "NETRUN_CORS_ALLOWED_ORIGIN_REGEXES": [r"https://example\.com"],
    "NETRUN_CORS_ALLOW_CREDENTIALS": True,
}


@pytest.fixture(autouse=True)
def clean_cors_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No CORS_/APP_ variables and no .env leak in; no settings object survives a test."""
    for name in list(os.environ):
        if name.upper().startswith(("CORS_", "APP_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    clear_settings_cache(CORSConfig)
    yield
    clear_settings_cache(CORSConfig)


@pytest.fixture
def cors_urls() -> Iterator[None]:
    """The netrun CorsMiddleware first in MIDDLEWARE, and the test views."""
    from django.conf import settings

    with override_settings(
        MIDDLEWARE=[NETRUN_MIDDLEWARE, *settings.MIDDLEWARE], ROOT_URLCONF="tests.cors.urls"
    ):
        yield


@pytest.fixture
def production(cors_urls: None) -> Iterator[None]:
    """A production policy: one listed origin, one (unanchored) regex, credentials."""
    with override_settings(**PRODUCTION):
        yield
