from __future__ import annotations

from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_cache(client: Client) -> None:
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["vendor"] == "sqlite"
    assert body["checks"]["cache"] == {
        "ok": True,
        "backend": "LocMemCache",
        "duration_ms": body["checks"]["cache"]["duration_ms"],
    }
    assert "no-cache" in response["Cache-Control"]


class ForgetfulCache(LocMemCache):
    """A cache that accepts writes and returns nothing, like a full or broken server."""

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return default


@override_settings(
    CACHES={"default": {"BACKEND": "tests.core.test_views.ForgetfulCache", "LOCATION": "forgetful"}}
)
def test_health_answers_503_naming_the_failed_check_without_details(client: Client) -> None:
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["error"] == "LookupError"
    assert body["checks"]["database"]["ok"] is True


def test_health_refuses_unsafe_methods(client: Client) -> None:
    assert client.post("/health/").status_code == 405
