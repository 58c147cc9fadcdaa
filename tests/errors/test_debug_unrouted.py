"""With ``DEBUG = True`` an unrouted API path answers the envelope, not Django's HTML page.

``docs/apps/errors.md``: paths under ``NETRUN_ERRORS_JSON_PATH_PREFIXES`` get JSON error pages
whatever ``Accept`` says. Django answers an unrouted path under ``DEBUG`` with its technical
404 page and never calls ``handler404``; ``ErrorEnvelopeMiddleware`` answers it instead.
"""

from __future__ import annotations

import asyncio

import pytest
from django.test import AsyncClient, Client, override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def _assert_envelope(response: object) -> None:
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("application/json")  # type: ignore[index]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "RESOURCE_NOT_FOUND"
    assert error["correlation_id"] == response["X-Correlation-ID"]  # type: ignore[index]


@override_settings(DEBUG=True)
@pytest.mark.parametrize("accept", ["text/html", "*/*", "application/json"])
def test_an_unrouted_api_path_is_the_envelope_whatever_accept_says(accept: str) -> None:
    _assert_envelope(Client().get("/api/nope/", HTTP_ACCEPT=accept))


@override_settings(DEBUG=True)
def test_the_same_under_asgi() -> None:
    response = asyncio.run(AsyncClient().get("/api/nope/", headers={"Accept": "text/html"}))
    _assert_envelope(response)


@override_settings(DEBUG=True)
def test_a_json_client_gets_the_envelope_on_any_unrouted_path() -> None:
    _assert_envelope(Client().get("/nope/", HTTP_ACCEPT="application/json"))


@override_settings(DEBUG=True)
def test_a_browser_keeps_django_technical_404_page_outside_the_api() -> None:
    response = Client().get("/nope/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


@override_settings(DEBUG=False)
def test_without_debug_handler404_answers_as_before() -> None:
    _assert_envelope(Client().get("/api/nope/", HTTP_ACCEPT="text/html"))
