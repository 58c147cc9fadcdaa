from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from netrun.core.context import (
    current_correlation_id,
    current_trace_context,
    tenant_context,
    user_context,
)
from netrun.logging import get_logger
from netrun.logging.asgi import CorrelationIdASGIMiddleware
from netrun.logging.testing import capture_logs

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
logger = get_logger(__name__)


def make_app(**options: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def read_item(item_id: int) -> dict[str, object]:
        logger.info("item_read", item_id=item_id)
        trace = current_trace_context()
        return {"correlation_id": current_correlation_id(), "trace": trace and trace.trace_id}

    @app.get("/tenant")
    async def tenant() -> dict[str, str]:
        return {}

    @app.get("/preset")
    def preset() -> object:
        from fastapi.responses import JSONResponse

        return JSONResponse({}, headers={"X-Correlation-ID": "from-endpoint"})

    app.add_middleware(CorrelationIdASGIMiddleware, **options)
    return app


def test_fastapi_requests_get_the_id_in_the_response_and_every_log_line() -> None:
    with capture_logs() as logs:
        response = TestClient(make_app()).get(
            "/items/5?api_key=zzz", headers={"X-Correlation-ID": "fa-1", "traceparent": TRACEPARENT}
        )
    assert response.headers["X-Correlation-ID"] == "fa-1"
    assert response.json() == {"correlation_id": "fa-1", "trace": TRACEPARENT[3:35]}
    assert [e["event"] for e in logs] == ["request_started", "item_read", "request_finished"]
    assert {e["correlation_id"] for e in logs} == {"fa-1"}
    assert logs[-1]["route"] == "/items/{item_id}"
    assert logs[-1]["status"] == 200
    assert logs[-1]["method"] == "GET"
    assert "zzz" not in str(logs)


def test_invalid_ids_are_replaced_without_echo() -> None:
    with capture_logs() as logs:
        response = TestClient(make_app()).get("/items/1", headers={"X-Request-ID": "bad value!"})
    new_id = response.headers["X-Correlation-ID"]
    assert new_id != "bad value!"
    assert len(new_id) == 32
    assert "bad value!" not in str(logs)
    assert logs[0]["event"] == "correlation_id_replaced"


def test_unrouted_paths_log_the_path_and_existing_headers_are_kept() -> None:
    client = TestClient(make_app())
    with capture_logs() as logs:
        assert client.get("/nope").status_code == 404
    assert logs[-1]["route"] == "/nope"
    assert client.get("/preset").headers["X-Correlation-ID"] == "from-endpoint"


def with_tenant(app: FastAPI) -> object:
    async def outer(scope, receive, send):  # type: ignore[no-untyped-def]
        with tenant_context("acme"), user_context("u-9"):
            await app(scope, receive, send)

    return outer


def test_tenant_and_user_bound_around_the_middleware_are_logged() -> None:
    with capture_logs() as plain:
        TestClient(make_app()).get("/tenant")
    assert "tenant_id" not in plain[-1]
    with capture_logs() as logs:
        TestClient(with_tenant(make_app())).get("/tenant")  # type: ignore[arg-type]
    assert logs[-1]["event"] == "request_finished"
    assert logs[-1]["tenant_id"] == "acme"
    assert logs[-1]["user_id"] == "u-9"


def test_request_events_can_be_turned_off() -> None:
    with capture_logs() as logs:
        TestClient(make_app(request_events=False)).get("/items/2")
    assert [e["event"] for e in logs] == ["item_read"]


def test_lifespan_passes_through() -> None:
    with TestClient(make_app()) as client:
        assert client.get("/items/1").status_code == 200
