"""netrun.errors.contrib.fastapi: the envelope from FastAPI, end to end."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.errors.fastapi_app import make_app
from tests.errors.scenarios import CONFLICT_ENVELOPE, CORRELATION_ID, LEAKS, SECRET


@pytest.fixture
def client() -> TestClient:
    # Starlette re-raises unhandled exceptions after answering (so servers log them);
    # the test client would raise them in the test unless told not to.
    return TestClient(make_app(), raise_server_exceptions=False)


def test_netrun_exception_becomes_the_envelope(client: TestClient) -> None:
    response = client.get("/conflict")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-correlation-id"] == CORRELATION_ID
    assert response.json() == CONFLICT_ENVELOPE


def test_unhandled_exception_is_a_generic_500_that_leaks_nothing(client: TestClient) -> None:
    response = client.get("/crash")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "INTERNAL_SERVER_ERROR"
    assert body["error"]["message"] == "An internal server error occurred."
    assert body["error"]["correlation_id"] == response.headers["x-correlation-id"]
    for leak in LEAKS:
        assert leak not in response.text


def test_unhandled_exception_still_reaches_the_server() -> None:
    with pytest.raises(RuntimeError, match="hunter2"):
        TestClient(make_app()).get("/crash")


def test_rate_limit_sends_retry_after(client: TestClient) -> None:
    response = client.get("/rate-limited")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"]["details"] == {"retry_after": 30}


def test_request_validation_error_lists_fields_and_never_echoes_input(
    client: TestClient,
) -> None:
    response = client.post("/signup", json={"email": "not-an-email", "age": -1, "extra": "x"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["details"]["fields"]) == {"email", "age", "password"}
    assert all(isinstance(m, str) for ms in error["details"]["fields"].values() for m in ms)
    assert "not-an-email" not in response.text


def test_an_unparsable_body_is_a_non_field_error(client: TestClient) -> None:
    response = client.post(
        "/raw", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["non_field_errors"]


def test_a_wrong_body_type_is_a_non_field_error(client: TestClient) -> None:
    response = client.post("/raw", json={"not": "a list"})
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["non_field_errors"]


def test_http_exception_maps_to_the_class_for_its_status(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert response.json()["error"]["message"] == "Sign in first."


def test_http_exception_without_a_class_keeps_its_status(client: TestClient) -> None:
    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.json()["error"]["code"] == "HTTP_ERROR"
    assert response.json()["error"]["details"] == {"detail": {"brew": "tea"}}


def test_unknown_route_is_a_404_envelope(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_wrong_method_is_a_405_envelope(client: TestClient) -> None:
    response = client.delete("/conflict")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_bodyless_status_gets_no_body(client: TestClient) -> None:
    response = client.get("/not-modified")
    assert response.status_code == 304
    assert response.content == b""
    assert "x-correlation-id" in response.headers


def test_problem_json_when_the_client_asks(client: TestClient) -> None:
    response = client.get("/conflict", headers={"Accept": "application/problem+json"})
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 409
    assert response.json()["correlation_id"] == CORRELATION_ID


def test_problem_json_when_configured() -> None:
    client = TestClient(make_app(problem_json=True))
    response = client.get("/conflict")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Conflict"


def test_secret_is_what_the_leak_tests_look_for() -> None:
    # Guards the leak tests against a SECRET edited into something they would not catch.
    assert all(word in SECRET for word in ("hunter2", "SELECT", "auth_user"))
