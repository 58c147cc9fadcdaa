"""Where an error is handled: logged once, generic when 5xx, 400 for hostile JSON, negotiated.

Real DRF views, plain Django views behind ``ErrorEnvelopeMiddleware``, a FastAPI app and a
Celery task; ``exception_raised`` is read from the real netrun.logging pipeline.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from celery import Celery
from django.core.checks import run_checks
from django.test import Client, override_settings
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from netrun.errors import (
    ConflictError,
    MalformedRequestError,
    TenantContextMissingError,
    is_parse_recursion,
    loads_json,
    render_error,
)
from netrun.errors.checks import check_drf_content_negotiation
from tests.errors.fastapi_app import make_app
from tests.errors.handling_urls import INTERNAL

pytestmark = [
    pytest.mark.urls("tests.errors.handling_urls"),
    pytest.mark.usefixtures("drf_handler", "envelope_middleware"),
]

#: 2 KB of "[": deeper than the interpreter's recursion limit.
# Deep enough to exhaust the decoder's recursion limit on every supported Python (3.13's C
# decoder goes deeper than 2,048 levels before it gives up).
NESTED = b"[" * 100_000
PROBLEM = "application/problem+json"


def raised_events(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("event") == "exception_raised"]


# ----------------------------------------------------------------------- exception_raised


def test_constructing_an_error_logs_no_line() -> None:
    with capture_logs() as logs:
        ConflictError("Order 7 already exists.")
        TenantContextMissingError(INTERNAL)
    assert logs == []


def test_a_drf_error_logs_exception_raised_exactly_once(client: Client) -> None:
    with capture_logs() as logs:
        response = client.get("/api/conflict/")
    assert response.status_code == 409
    events = raised_events(logs)
    assert len(events) == 1
    assert events[0]["error_code"] == "CONFLICT"
    assert events[0]["correlation_id"] == response["X-Correlation-ID"]


def test_a_plain_view_error_logs_exception_raised_exactly_once(quiet_client: Client) -> None:
    with capture_logs() as logs:
        response = quiet_client.get("/api/plain/no-tenant/")
    assert response.status_code == 500
    assert [event["error_code"] for event in raised_events(logs)] == ["TENANT_CONTEXT_MISSING"]


def test_rendering_the_same_error_twice_logs_once() -> None:
    error = ConflictError()
    with capture_logs() as logs:
        render_error(error)
        render_error(error, problem=True)
    assert len(raised_events(logs)) == 1


def test_a_fastapi_error_logs_exception_raised_exactly_once() -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)
    with capture_logs() as logs:
        response = client.get("/conflict")
    assert response.status_code == 409
    assert [event["error_code"] for event in raised_events(logs)] == ["CONFLICT"]


def test_a_failed_celery_task_logs_exception_raised_exactly_once() -> None:
    app = Celery("handling", set_as_current=False)

    @app.task(name="handling.conflict")  # type: ignore[misc]
    def conflict() -> None:
        raise ConflictError("Order 7 already exists.")

    with capture_logs() as logs:
        result = conflict.apply()
    assert isinstance(result.result, ConflictError)
    assert [event["error_code"] for event in raised_events(logs)] == ["CONFLICT"]


# ----------------------------------------------------------------------- generic 5xx


@pytest.mark.parametrize("path", ["/api/no-tenant/", "/api/plain/no-tenant/"])
@pytest.mark.parametrize("accept", ["application/json", PROBLEM])
def test_a_5xx_carries_a_generic_message_with_debug_off(
    quiet_client: Client, path: str, accept: str
) -> None:
    response = quiet_client.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 500
    text = response.content.decode()
    assert "helpdesk" not in text
    assert "SELECT" not in text
    body = response.json()
    error = body if accept == PROBLEM else body["error"]
    assert error["code"] == "TENANT_CONTEXT_MISSING"
    assert error["detail" if accept == PROBLEM else "message"] == (
        TenantContextMissingError.default_message
    )
    assert error["details"] == {}


@override_settings(DEBUG=True)
def test_a_5xx_keeps_its_message_with_debug_on(quiet_client: Client) -> None:
    response = quiet_client.get("/api/no-tenant/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == INTERNAL


def test_a_4xx_keeps_its_message_and_details(client: Client) -> None:
    error = client.get("/api/conflict/").json()["error"]
    assert error["message"] == "Order 7 already exists."
    assert error["details"] == {"order_id": 7}


def test_a_fastapi_5xx_carries_a_generic_message() -> None:
    from fastapi import FastAPI

    from netrun.errors.contrib.fastapi import install_exception_handlers

    app = FastAPI()
    install_exception_handlers(app)

    @app.get("/no-tenant")
    def no_tenant() -> None:
        raise TenantContextMissingError(INTERNAL)

    response = TestClient(app, raise_server_exceptions=False).get("/no-tenant")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == TenantContextMissingError.default_message


# ----------------------------------------------------------------------- hostile JSON


@pytest.mark.parametrize("path", ["/api/echo/", "/api/plain/helper/", "/api/plain/raw/"])
def test_a_deeply_nested_json_body_is_a_400_without_a_traceback(
    quiet_client: Client, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = quiet_client.post(path, NESTED, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["error"]["code"] == "MALFORMED_REQUEST"
    assert [record for record in caplog.records if record.exc_info] == []


def test_well_formed_bodies_still_parse(client: Client) -> None:
    for path in ("/api/echo/", "/api/plain/helper/", "/api/plain/raw/"):
        response = client.post(path, b"[[1], [2]]", content_type="application/json")
        assert response.json() == {"items": 2}, path


def test_a_recursion_error_of_the_server_stays_a_500(quiet_client: Client) -> None:
    response = quiet_client.get("/api/plain/recursion/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_SERVER_ERROR"


@pytest.mark.parametrize("body", [NESTED, b"{", b"\xff\xfe", "[" * 5000])
def test_loads_json_refuses_undecodable_input_with_a_400(body: bytes | str) -> None:
    with pytest.raises(MalformedRequestError) as raised:
        loads_json(body)
    assert raised.value.status_code == 400


def test_is_parse_recursion_tells_the_decoder_from_other_code() -> None:
    import json

    with pytest.raises(RecursionError) as raised:
        json.loads(NESTED)
    assert is_parse_recursion(raised.value)
    assert not is_parse_recursion(RecursionError("elsewhere"))
    assert not is_parse_recursion(ValueError("not a recursion"))


def test_fastapi_answers_a_deeply_nested_body_with_a_400() -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)
    response = client.post("/raw", content=NESTED, headers={"Content-Type": "application/json"})
    assert response.status_code == 400


# ----------------------------------------------------------------------- negotiation


def test_problem_json_accept_gets_json_for_a_success(client: Client) -> None:
    response = client.get("/api/echo/", HTTP_ACCEPT=PROBLEM)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"ok": True}


def test_problem_json_accept_gets_problem_json_for_an_error(client: Client) -> None:
    response = client.get("/api/conflict/", HTTP_ACCEPT=PROBLEM)
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 409
    assert body["code"] == "CONFLICT"
    assert body["detail"] == "Order 7 already exists."


def test_json_accept_gets_the_envelope_for_an_error(client: Client) -> None:
    response = client.get("/api/conflict/", HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "CONFLICT"


def test_an_unservable_accept_is_still_a_406(client: Client) -> None:
    response = client.get("/api/echo/", HTTP_ACCEPT="image/png")
    assert response.status_code == 406
    assert response.json()["error"]["code"] == "NOT_ACCEPTABLE"


def test_without_netrun_negotiation_drf_refuses_problem_json_and_w002_says_so(
    client: Client,
) -> None:
    # DRF's own negotiation (APIView reads the class once, at import: a view sets it here).
    assert client.get("/api/echo-drf-negotiation/", HTTP_ACCEPT=PROBLEM).status_code == 406
    with override_settings(
        REST_FRAMEWORK={"EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler"}
    ):
        assert [m.id for m in check_drf_content_negotiation()] == ["netrun.errors.W002"]
    assert check_drf_content_negotiation() == []


def test_w002_accepts_a_subclass_and_reports_a_bad_path() -> None:
    drf = {"EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler"}
    with override_settings(
        REST_FRAMEWORK={**drf, "DEFAULT_CONTENT_NEGOTIATION_CLASS": "no.such.Negotiation"}
    ):
        assert [m.id for m in check_drf_content_negotiation()] == ["netrun.errors.W002"]
    from netrun.errors.drf import ContentNegotiation

    class Mine(ContentNegotiation):
        pass

    with override_settings(REST_FRAMEWORK={**drf, "DEFAULT_CONTENT_NEGOTIATION_CLASS": Mine}):
        assert check_drf_content_negotiation() == []
    with override_settings(INSTALLED_APPS=["netrun.errors"]):
        assert check_drf_content_negotiation() == []


@pytest.mark.django_db  # Django 6.1 runs the model checks against every database alias
def test_the_project_checks_do_not_report_w002() -> None:
    assert "netrun.errors.W002" not in {message.id for message in run_checks()}


def test_the_celery_receiver_connects_and_disconnects() -> None:
    from netrun.errors import celery as errors_celery

    app = Celery("handling-switch", set_as_current=False)

    @app.task(name="handling.switch")  # type: ignore[misc]
    def conflict() -> None:
        raise ConflictError()

    errors_celery.disconnect_signals()
    try:
        with capture_logs() as logs:
            conflict.apply()
        assert raised_events(logs) == []
    finally:
        errors_celery.connect_signals()
    with capture_logs() as logs:
        conflict.apply()
    assert len(raised_events(logs)) == 1


def test_fastapi_maps_a_decoder_recursion_error_to_a_400() -> None:
    import json

    from netrun.errors.contrib.fastapi import to_netrun_exception

    with pytest.raises(RecursionError) as raised:
        json.loads(NESTED)
    error = to_netrun_exception(raised.value)
    assert isinstance(error, MalformedRequestError)
