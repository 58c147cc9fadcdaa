"""netrun.errors.middleware.ErrorEnvelopeMiddleware, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings

from netrun.errors import ConflictError
from netrun.errors.middleware import ErrorEnvelopeMiddleware
from tests.errors.scenarios import CONFLICT_ENVELOPE, CORRELATION_ID, LEAKS

pytestmark = [
    pytest.mark.urls("tests.errors.urls"),
    pytest.mark.usefixtures("envelope_middleware"),
]


def test_netrun_exception_in_a_plain_view_becomes_the_envelope(client: Client) -> None:
    response = client.get("/plain/conflict/")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response["X-Correlation-ID"] == CORRELATION_ID
    assert response.json() == CONFLICT_ENVELOPE


def test_netrun_exception_is_the_envelope_even_for_browsers(client: Client) -> None:
    response = client.get("/plain/conflict/", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert response.json() == CONFLICT_ENVELOPE


def test_rate_limit_sends_retry_after(client: Client) -> None:
    response = client.get("/plain/rate-limited/")
    assert response.status_code == 429
    assert response["Retry-After"] == "30"


def test_unhandled_exception_for_json_clients_is_a_generic_500(quiet_client: Client) -> None:
    response = quiet_client.get("/plain/crash/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_SERVER_ERROR"
    assert response.json()["error"]["correlation_id"] == response["X-Correlation-ID"]
    text = response.content.decode()
    for leak in LEAKS:
        assert leak not in text


def test_unhandled_exception_under_an_api_path_is_json_whatever_the_accept(
    quiet_client: Client,
) -> None:
    response = quiet_client.get("/api/plain/crash/", HTTP_ACCEPT="*/*")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_SERVER_ERROR"


def test_unhandled_exception_still_reaches_error_trackers(client: Client) -> None:
    with pytest.raises(RuntimeError, match="hunter2"):
        client.get("/plain/crash/", HTTP_ACCEPT="application/json")


def test_unhandled_exception_is_logged_once_with_its_traceback(
    quiet_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="django.request"):
        quiet_client.get("/plain/crash/", HTTP_ACCEPT="application/json")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].exc_info is not None


def test_unhandled_exception_for_browsers_is_left_to_django(quiet_client: Client) -> None:
    response = quiet_client.get("/plain/crash/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "hunter2" not in response.content.decode()


@override_settings(DEBUG=True)
def test_with_debug_on_unhandled_exceptions_are_left_to_django(client: Client) -> None:
    with pytest.raises(RuntimeError):
        client.get("/plain/crash/", HTTP_ACCEPT="application/json")


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/plain/not-found/", 404, "RESOURCE_NOT_FOUND"),
        ("/plain/forbidden/", 403, "PERMISSION_DENIED"),
    ],
)
def test_django_http_errors_for_json_clients_are_the_envelope_with_generic_messages(
    client: Client, path: str, status: int, code: str
) -> None:
    response = client.get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert "hunter2" not in response.content.decode()


def test_suspicious_operations_are_left_to_django(client: Client) -> None:
    response = client.get("/plain/suspicious/", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "hunter2" not in response.content.decode()


def test_problem_json_when_the_client_asks(client: Client) -> None:
    response = client.get("/plain/conflict/", HTTP_ACCEPT="application/problem+json")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "CONFLICT"
    assert response.json()["correlation_id"] == CORRELATION_ID


def test_successful_responses_pass_through(client: Client) -> None:
    response = client.get("/plain/ok/")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_without_the_middleware_netrun_errors_are_plain_500s(quiet_client: Client) -> None:
    # Proves the fixture is what makes these tests pass.
    with override_settings(MIDDLEWARE=[]):
        response = quiet_client.get("/plain/conflict/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500


# ------------------------------------------------------------------------------ async


def test_middleware_is_sync_and_async_capable() -> None:
    assert ErrorEnvelopeMiddleware.sync_capable is True
    assert ErrorEnvelopeMiddleware.async_capable is True

    def sync_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("sync")

    async def async_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("async")

    assert not iscoroutinefunction(ErrorEnvelopeMiddleware(sync_view))
    middleware = ErrorEnvelopeMiddleware(async_view)
    assert iscoroutinefunction(middleware)
    response: Any = asyncio.run(middleware(RequestFactory().get("/")))
    assert response.content == b"async"


def test_process_exception_in_async_mode_renders_the_envelope() -> None:
    async def async_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    middleware = ErrorEnvelopeMiddleware(async_view)
    exc = ConflictError(correlation_id="async-cid")
    response = middleware.process_exception(RequestFactory().get("/"), exc)
    assert response is not None
    assert response.status_code == 409
    assert response["X-Correlation-ID"] == "async-cid"


def test_async_client_gets_the_envelope() -> None:
    async def fetch() -> Any:
        return await AsyncClient().get("/plain/conflict/")

    response = asyncio.run(fetch())
    assert response.status_code == 409
    assert response.json() == CONFLICT_ENVELOPE
