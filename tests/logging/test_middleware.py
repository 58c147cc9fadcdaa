from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import iscoroutinefunction
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings

from netrun.core.context import current_correlation_id
from netrun.logging import get_context
from netrun.logging.middleware import CorrelationIdMiddleware
from netrun.logging.testing import capture_logs
from tests.logging.conftest import JsonStream

MIDDLEWARE = [
    "netrun.logging.middleware.CorrelationIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

pytestmark = [
    pytest.mark.urls("tests.logging.urls"),
    pytest.mark.usefixtures("_middleware"),
]

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def _middleware() -> object:
    with override_settings(MIDDLEWARE=MIDDLEWARE):
        yield


def test_the_header_id_comes_back_and_is_on_every_log_line_of_the_request() -> None:
    with capture_logs() as logs:
        response = Client().get("/orders/7/?secret=hunter2", HTTP_X_CORRELATION_ID="abc-123")

    assert response["X-Correlation-ID"] == "abc-123"
    assert response.json()["correlation_id"] == "abc-123"
    assert [e["event"] for e in logs] == ["request_started", "order_viewed", "request_finished"]
    assert {e["correlation_id"] for e in logs} == {"abc-123"}
    finished = logs[-1]
    assert finished["method"] == "GET"
    assert finished["route"] == "orders/<int:pk>/"
    assert finished["status"] == 200
    assert finished["duration_ms"] >= 0
    assert "hunter2" not in str(logs)
    assert current_correlation_id() is None


def test_x_request_id_is_accepted_too() -> None:
    response = Client().get("/orders/1/", HTTP_X_REQUEST_ID="req.42_A")
    assert response["X-Correlation-ID"] == "req.42_A"


@pytest.mark.parametrize(
    "bad",
    ["has space", "x" * 129, "<script>alert(1)</script>", "line\r\nbreak", "ünïcode"],
)
def test_an_invalid_id_is_replaced_and_never_echoed(bad: str) -> None:
    with capture_logs() as logs:
        response = Client().get("/orders/1/", HTTP_X_CORRELATION_ID=bad)

    new_id = response["X-Correlation-ID"]
    assert new_id != bad
    assert len(new_id) == 32
    assert bad not in str(logs)
    assert bad not in response.content.decode()
    [replaced] = [e for e in logs if e["event"] == "correlation_id_replaced"]
    assert replaced["header"] == "x-correlation-id"
    assert replaced["length"] == len(bad)
    assert replaced["correlation_id"] == new_id
    assert {e["correlation_id"] for e in logs} == {new_id}


def test_a_valid_request_id_is_used_when_the_correlation_id_is_invalid() -> None:
    response = Client().get("/orders/1/", HTTP_X_CORRELATION_ID="bad id", HTTP_X_REQUEST_ID="ok")
    assert response["X-Correlation-ID"] == "ok"


def test_without_a_header_a_new_id_is_made() -> None:
    first = Client().get("/orders/1/")["X-Correlation-ID"]
    second = Client().get("/orders/1/")["X-Correlation-ID"]
    assert len(first) == 32
    assert first != second


def test_traceparent_is_parsed_and_bound() -> None:
    with capture_logs() as logs:
        response = Client().get("/orders/1/", HTTP_TRACEPARENT=TRACEPARENT)
    assert response.json()["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert {e["trace_id"] for e in logs} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    assert {e["span_id"] for e in logs} == {"00f067aa0ba902b7"}


def test_an_invalid_traceparent_is_ignored() -> None:
    with capture_logs() as logs:
        response = Client().get("/orders/1/", HTTP_TRACEPARENT="00-zz-yy-01")
    assert response.json()["trace_id"] is None
    assert all("trace_id" not in e for e in logs)


def test_async_views_get_the_same_treatment() -> None:
    with capture_logs() as logs:
        response = asyncio.run(
            AsyncClient().get(
                "/async/orders/3/",
                headers={"X-Correlation-ID": "async-1", "traceparent": TRACEPARENT},
            )
        )
    assert response["X-Correlation-ID"] == "async-1"
    assert response.json()["correlation_id"] == "async-1"
    assert [e["event"] for e in logs] == [
        "request_started",
        "async_order_viewed",
        "request_finished",
    ]
    assert {e["correlation_id"] for e in logs} == {"async-1"}
    assert logs[-1]["route"] == "async/orders/<int:pk>/"


def test_async_invalid_id_is_replaced_and_the_middleware_runs_without_a_thread_hop() -> None:
    async def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    middleware = CorrelationIdMiddleware(get_response)
    assert middleware.async_mode is True
    assert iscoroutinefunction(middleware)
    assert CorrelationIdMiddleware(lambda request: HttpResponse()).async_mode is False
    response = asyncio.run(
        AsyncClient().get("/async/orders/3/", headers={"X-Request-ID": "no way"})
    )
    assert response["X-Correlation-ID"] != "no way"


def test_unmatched_paths_log_the_path_without_the_query_string() -> None:
    with capture_logs() as logs:
        response = Client().get("/missing/?token=abc")
    assert response.status_code == 404
    assert logs[-1]["route"] == "/missing/"
    assert logs[-1]["status"] == 404


def test_errors_are_logged_with_the_request_correlation_id() -> None:
    with capture_logs() as logs:
        response = Client(raise_request_exception=False).get(
            "/boom/", HTTP_X_CORRELATION_ID="err-1"
        )
    assert response.status_code == 500
    assert response["X-Correlation-ID"] == "err-1"
    assert logs[-1]["status"] == 500
    assert logs[-1]["correlation_id"] == "err-1"


def test_values_a_view_binds_do_not_reach_the_next_request() -> None:
    with capture_logs() as logs:
        Client().get("/binds/")
        Client().get("/orders/1/")
    assert logs[1]["leaky"] == "value-from-a-view"
    assert all("leaky" not in e for e in logs[3:])
    assert get_context() == {}


@pytest.mark.django_db
def test_the_user_is_logged_when_the_request_resolved_it() -> None:
    user = User.objects.create_user("ada", password="pw")
    client = Client()
    client.force_login(user)
    with capture_logs() as logs:
        client.get("/whoami/")
        client.get("/orders/1/")
    assert logs[2]["event"] == "request_finished"
    assert logs[2]["user_id"] == str(user.pk)
    # Nothing resolved request.user: no session lookup just for logging.
    assert "user_id" not in logs[-1]


def test_the_tenant_set_on_the_request_is_logged() -> None:
    with capture_logs() as logs:
        Client().get("/tenant/")
    assert logs[-1]["tenant_id"] == "acme"


def test_a_header_set_by_the_view_is_kept() -> None:
    assert Client().get("/preset/")["X-Correlation-ID"] == "set-by-the-view"


@override_settings(NETRUN_LOGGING_REQUEST_EVENTS=False)
def test_request_events_can_be_turned_off() -> None:
    with capture_logs() as logs:
        response = Client().get("/orders/1/", HTTP_X_CORRELATION_ID="quiet")
    assert response["X-Correlation-ID"] == "quiet"
    assert [e["event"] for e in logs] == ["order_viewed"]


def test_djangos_own_4xx_log_line_keeps_the_requests_correlation_id(
    json_logs: JsonStream,
) -> None:
    # Django logs "Not Found: ..." after the middleware chain has returned (and restored the
    # context); the line must still carry the request's ID.
    response = Client().get("/no-such-page/", HTTP_X_CORRELATION_ID="late-line-0042")
    assert response.status_code == 404
    (line,) = [e for e in json_logs.events() if e["event"].startswith("Not Found")]
    assert line["logger"] == "django.request"
    assert line["correlation_id"] == "late-line-0042"


def test_a_streamed_response_is_finished_when_its_body_ends() -> None:
    with capture_logs() as logs:
        response = Client().get("/events/", HTTP_X_CORRELATION_ID="sse-1")
        assert [e["event"] for e in logs] == ["request_started"]  # the body has not run yet
        body = b"".join(response.streaming_content)  # the test client closes it at the end
    assert body.count(b"data: ") == 3
    assert [e["event"] for e in logs] == [
        "request_started",
        *["event_sent"] * 3,
        "request_finished",
    ]
    finished = logs[-1]
    assert (finished["status"], finished["streamed"], finished["route"]) == (200, True, "events/")
    assert "completed" not in finished
    assert {e["correlation_id"] for e in logs} == {"sse-1"}


@pytest.mark.django_db  # response.close() sends request_finished: old connections are closed
def test_a_stream_the_client_left_is_finished_as_not_completed() -> None:
    with capture_logs() as logs:
        response = Client().get("/events/", HTTP_X_CORRELATION_ID="sse-2")
        first = next(iter(response.streaming_content))
        response.close()  # what the server does when the client goes away
    assert first == b"data: 0\n\n"
    assert [e["event"] for e in logs] == ["request_started", "event_sent", "request_finished"]
    assert (logs[-1]["streamed"], logs[-1]["completed"]) == (True, False)
    assert logs[-1]["correlation_id"] == "sse-2"


@pytest.mark.django_db  # response.close() sends request_finished: old connections are closed
def test_a_stream_closed_before_its_first_chunk_is_finished_too() -> None:
    with capture_logs() as logs:
        response = Client().get("/events/", HTTP_X_CORRELATION_ID="sse-4")
        response.close()  # the client left before the first byte
    assert [e["event"] for e in logs] == ["request_started", "request_finished"]
    assert (logs[-1]["streamed"], logs[-1]["completed"]) == (True, False)
    assert logs[-1]["correlation_id"] == "sse-4"


def test_an_async_stream_is_finished_when_its_body_ends() -> None:
    async def consume() -> tuple[list[str], bytes]:
        response = await AsyncClient().get("/async/events/", headers={"X-Correlation-ID": "sse-3"})
        before = [e["event"] for e in logs]
        body = b"".join([chunk async for chunk in response.streaming_content])
        return before, body

    with capture_logs() as logs:
        before, body = asyncio.run(consume())
    assert before == ["request_started"]
    assert body.count(b"data: ") == 3
    assert [e["event"] for e in logs][-1] == "request_finished"
    assert logs[-1]["streamed"] is True
    assert "completed" not in logs[-1]
    assert {e["correlation_id"] for e in logs} == {"sse-3"}
