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
    assert body["down"] == ["cache"]
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["error"] == "LookupError"
    assert body["checks"]["database"]["ok"] is True


def test_health_refuses_unsafe_methods(client: Client) -> None:
    assert client.post("/health/").status_code == 405


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_health_checks_the_configured_broker(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//"):
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True
    assert response.json()["down"] == []


def test_health_names_a_broker_that_is_down(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{_closed_port()}//"):
        response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_health_skips_the_in_memory_broker(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL="memory://"):
        response = client.get("/health/")
    assert "broker" not in response.json()["checks"]


@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {"BACKEND": "tests.core.test_views.ForgetfulCache", "LOCATION": "x"},
    }
)
def test_health_checks_every_cache_alias(client: Client) -> None:
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["down"] == ["cache:sessions"]
