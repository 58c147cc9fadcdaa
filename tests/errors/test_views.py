"""netrun.errors.views: JSON error pages for API clients, Django's HTML for browsers."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import Client, RequestFactory, override_settings

from netrun.core.context import correlation_context
from netrun.errors.views import handler400, handler403, handler404, handler500
from tests.errors.scenarios import LEAKS

pytestmark = pytest.mark.urls("tests.errors.urls")


def test_unknown_api_path_is_a_json_404(client: Client) -> None:
    response = client.get("/api/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "RESOURCE_NOT_FOUND"
    assert error["message"] == "Not found."
    assert error["correlation_id"] == response["X-Correlation-ID"]


def test_json_clients_get_a_json_404_anywhere(client: Client) -> None:
    response = client.get("/nowhere/", HTTP_ACCEPT="application/json")
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_browsers_get_djangos_html_404(client: Client) -> None:
    response = client.get("/nowhere/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    # The correlation middleware (first in MIDDLEWARE) puts the ID on every response.
    assert len(response["X-Correlation-ID"]) == 32


def test_the_404_never_echoes_the_exception_message(client: Client) -> None:
    response = client.get("/plain/not-found/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert "hunter2" not in response.content.decode()
    assert "Invoice" not in response.content.decode()


def test_json_500_leaks_nothing(quiet_client: Client) -> None:
    response = quiet_client.get("/plain/crash/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_SERVER_ERROR"
    text = response.content.decode()
    for leak in LEAKS:
        assert leak not in text


def test_html_500_for_browsers(quiet_client: Client) -> None:
    response = quiet_client.get("/plain/crash/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "hunter2" not in response.content.decode()


def test_json_403(client: Client) -> None:
    response = client.get("/plain/forbidden/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert "finance" not in response.content.decode()


def test_json_400_for_suspicious_requests(client: Client) -> None:
    response = client.get("/plain/suspicious/", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "VALIDATION_ERROR",
        "message": "Bad request.",
        "details": {},
        "correlation_id": response["X-Correlation-ID"],
    }


@pytest.mark.parametrize(
    ("handler", "status"),
    [(handler400, 400), (handler403, 403), (handler404, 404)],
)
def test_html_handlers_carry_the_bound_correlation_id(handler: object, status: int) -> None:
    request = RequestFactory().get("/page/", HTTP_ACCEPT="text/html")
    with correlation_context("html-cid"):
        response = handler(request, Exception("x"))  # type: ignore[operator]
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Correlation-ID"] == "html-cid"


def test_html_500_handler_carries_the_bound_correlation_id() -> None:
    with correlation_context("html-500"):
        response = handler500(RequestFactory().get("/page/"))
    assert response.status_code == 500
    assert response["X-Correlation-ID"] == "html-500"


@override_settings(NETRUN_ERRORS_JSON_PATH_PREFIXES=["/v2/"])
def test_json_path_prefixes_are_configurable(client: Client) -> None:
    assert client.get("/v2/missing/").json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert client.get("/api/missing/")["Content-Type"].startswith("text/html")


@override_settings(NETRUN_ERRORS_PROBLEM_JSON=True)
def test_problem_json_setting_applies_to_error_pages(client: Client) -> None:
    response = client.get("/api/nowhere/")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_djangos_url_checks_accept_the_handlers() -> None:
    messages = run_checks(tags=["urls"])
    assert [m for m in messages if m.id and m.id.startswith("urls.E007")] == []
