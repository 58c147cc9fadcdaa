"""netrun.errors.drf.exception_handler, through real DRF views and Django's test client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import got_request_exception
from django.test import Client, override_settings

from netrun.errors.drf import exception_handler, to_netrun_exception
from tests.errors.scenarios import CONFLICT_ENVELOPE, CORRELATION_ID, LEAKS

pytestmark = [pytest.mark.urls("tests.errors.urls"), pytest.mark.usefixtures("drf_handler")]


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def test_netrun_exception_becomes_the_envelope(client: Client) -> None:
    response = client.get("/drf/conflict/", HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response["X-Correlation-ID"] == CORRELATION_ID
    assert response.json() == CONFLICT_ENVELOPE


def test_validation_error_lists_errors_per_field(client: Client) -> None:
    response = client.post(
        "/drf/validation/", {"email": "nope", "age": -1}, content_type="application/json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"] == "Invalid input."
    assert error["details"] == {
        "fields": {
            "email": ["Enter a valid email address."],
            "age": ["Ensure this value is greater than or equal to 0."],
        }
    }
    assert response["X-Correlation-ID"] == error["correlation_id"]


def test_validation_error_not_tied_to_a_field_uses_the_non_field_key(client: Client) -> None:
    response = client.post(
        "/drf/validation/",
        {"email": "taken@example.com", "age": 3},
        content_type="application/json",
    )
    assert error_of(response)["details"] == {
        "fields": {"non_field_errors": ["This account already exists."]}
    }


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?form=1", {"name": ["Name is too short."]}),
        ("", {"non_field_errors": ["Something is off."]}),
    ],
)
def test_django_validation_error_lists_errors_per_field(
    client: Client, query: str, fields: dict[str, list[str]]
) -> None:
    response = client.get(f"/drf/django-validation/{query}")
    assert response.status_code == 400
    assert error_of(response)["details"] == {"fields": fields}


def test_throttled_is_a_rate_limit_with_retry_after(client: Client) -> None:
    response = client.get("/drf/throttled/")
    assert response.status_code == 429
    assert response["Retry-After"] == "13"
    error = error_of(response)
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"] == {"retry_after": 13}


def test_a_429_without_a_wait_time_keeps_its_status(client: Client) -> None:
    response = client.get("/drf/too-many/")
    assert response.status_code == 429
    assert error_of(response)["code"] == "HTTP_ERROR"
    assert "Retry-After" not in response


def test_not_authenticated_is_401_with_the_challenge(client: Client) -> None:
    response = client.get("/drf/login-required/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    assert error_of(response)["code"] == "AUTHENTICATION_ERROR"
    assert error_of(response)["message"] == "Authentication credentials were not provided."


@pytest.mark.django_db
def test_not_authenticated_without_a_challenge_keeps_drfs_403(client: Client) -> None:
    response = client.get("/drf/login-required-no-challenge/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "AUTHENTICATION_ERROR"


@pytest.mark.django_db
def test_bad_credentials_are_authentication_failed(client: Client) -> None:
    token = base64.b64encode(b"nobody:wrong").decode()
    response = client.get("/drf/login-required/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 401
    assert error_of(response)["message"] == "Invalid username/password."


@pytest.mark.parametrize(
    ("path", "status", "code", "message"),
    [
        ("/drf/auth-failed/", 403, "AUTHENTICATION_ERROR", "Incorrect authentication credentials."),
        ("/drf/permission/", 403, "PERMISSION_DENIED", None),
        ("/drf/django-permission/", 403, "PERMISSION_DENIED", None),
        ("/drf/not-found/", 404, "RESOURCE_NOT_FOUND", "No such order."),
        ("/drf/http404/", 404, "RESOURCE_NOT_FOUND", "Not found."),
        ("/drf/teapot/", 418, "HTTP_ERROR", "I'm a teapot."),
        ("/drf/database/", 503, "DATABASE_ERROR", "The database is temporarily unavailable."),
    ],
)
def test_exceptions_map_to_their_netrun_class(
    quiet_client: Client, path: str, status: int, code: str, message: str | None
) -> None:
    response = quiet_client.get(path)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code
    if message is not None:
        assert error["message"] == message
    assert "hunter2" not in response.content.decode()


def test_a_5xx_api_exception_with_structured_detail_is_generic(quiet_client: Client) -> None:
    response = quiet_client.get("/drf/api-exception-dict/")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"] == "An internal server error occurred."
    assert error["details"] == {}


def test_a_4xx_api_exception_keeps_its_structured_detail() -> None:
    from rest_framework import exceptions as drf

    error = to_netrun_exception(drf.ValidationError({"reason": "x"}))
    assert error is not None
    assert error.details == {"fields": {"reason": "x"}}


def test_method_not_allowed_is_405_with_allow(client: Client) -> None:
    response = client.delete("/drf/get-only/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response["Allow"]


def test_parse_error_is_a_malformed_request(client: Client) -> None:
    response = client.post("/drf/json-only/", b"{broken", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "MALFORMED_REQUEST"


def test_unsupported_media_type_is_415(client: Client) -> None:
    response = client.post("/drf/json-only/", b"a=b", content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_not_acceptable_is_406(client: Client) -> None:
    response = client.get("/drf/conflict/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 406
    assert error_of(response)["code"] == "NOT_ACCEPTABLE"


@pytest.fixture
def request_exceptions() -> Iterator[list[object]]:
    """Requests for which got_request_exception was sent."""
    seen: list[object] = []

    def receiver(sender: object, request: object, **kwargs: object) -> None:
        seen.append(request)

    got_request_exception.connect(receiver)
    yield seen
    got_request_exception.disconnect(receiver)


def test_unhandled_exception_is_a_generic_500_that_leaks_nothing(
    quiet_client: Client, request_exceptions: list[object]
) -> None:
    response = quiet_client.get("/drf/crash/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    error = error_of(response)
    assert error == {
        "code": "INTERNAL_SERVER_ERROR",
        "message": "An internal server error occurred.",
        "details": {},
        "correlation_id": response["X-Correlation-ID"],
    }
    text = response.content.decode()
    for leak in LEAKS:
        assert leak not in text
    assert len(request_exceptions) == 1


def test_unhandled_exception_is_logged_with_its_traceback(
    quiet_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="django.request"):
        quiet_client.get("/drf/crash/")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1  # logged once, by us, with the exception
    assert records[0].exc_info is not None
    assert "hunter2" in str(records[0].exc_info[1])


def test_unhandled_exception_reaches_error_trackers(client: Client) -> None:
    # The test client listens to got_request_exception and re-raises, like an error tracker.
    with pytest.raises(RuntimeError, match="hunter2"):
        client.get("/drf/crash/")


@override_settings(DEBUG=True)
def test_with_debug_on_unhandled_exceptions_go_to_django(client: Client) -> None:
    with pytest.raises(RuntimeError):
        client.get("/drf/crash/")


@override_settings(DEBUG=True)
def test_with_debug_on_netrun_errors_still_get_the_envelope(client: Client) -> None:
    assert client.get("/drf/conflict/").json() == CONFLICT_ENVELOPE


def test_suspicious_operations_are_left_to_django(quiet_client: Client) -> None:
    response = quiet_client.get("/drf/suspicious/", HTTP_ACCEPT="application/json")
    assert response.status_code == 400  # Django's handler400, ours via tests.errors.urls
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert "hunter2" not in response.content.decode()


def test_problem_json_when_the_client_asks(client: Client) -> None:
    response = client.get(
        "/drf/conflict/", HTTP_ACCEPT="application/problem+json, application/json;q=0.9"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "Order 7 already exists.",
        "code": "CONFLICT",
        "correlation_id": CORRELATION_ID,
        "details": {"order_id": 7},
    }


@override_settings(NETRUN_ERRORS_PROBLEM_JSON=True)
def test_problem_json_when_configured_even_for_the_browsable_api(client: Client) -> None:
    response = client.get("/drf/conflict/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 409


def test_drfs_default_handler_would_not_give_the_envelope(client: Client) -> None:
    # Proves the fixture is what makes these tests pass: without it DRF answers its own way.
    with override_settings(REST_FRAMEWORK={}):
        response = client.get("/drf/not-found/")
    assert response.json() == {"detail": "No such order."}


def test_unknown_exceptions_map_to_none() -> None:
    assert to_netrun_exception(RuntimeError("x")) is None


def test_handler_without_a_request_still_renders() -> None:
    response = exception_handler(KeyError("x"), {})
    assert response is not None
    assert response.status_code == 500
    assert response.data["error"]["code"] == "INTERNAL_SERVER_ERROR"
