"""``netrun.cors.CORSMiddleware(app, config=None)``, the seeds' ASGI middleware, on real apps."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from netrun.cors import CORSConfig, CORSMiddleware, PolicySpec
from netrun.errors import CORSValidationError
from netrun.logging.testing import capture_logs

ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ALLOWED = "https://app.example.com"

SPEC = PolicySpec(
    preset="production",
    environment="production",
    origins=(ALLOWED,),
    allow_credentials=True,
    expose_headers=("X-Request-ID",),
    urls_regex=r"^/api/",
)


def fastapi_client(config: CORSConfig | PolicySpec | None = SPEC) -> TestClient:
    app = FastAPI()

    @app.get("/api/data")
    def data() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/api/data")
    def create() -> dict[str, bool]:
        return {"created": True}

    @app.get("/pages")
    def pages() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(CORSMiddleware, config=config)
    return TestClient(app)


def preflight(client: TestClient, origin: str, method: str = "POST", headers: str = "") -> object:
    request_headers = {"origin": origin, "access-control-request-method": method}
    if headers:
        request_headers["access-control-request-headers"] = headers
    return client.options("/api/data", headers=request_headers)


def test_preflight_from_an_allowed_origin_gets_the_policy_headers() -> None:
    response = preflight(fastapi_client(), ALLOWED, headers="content-type, authorization")
    assert response.status_code == 200
    assert response.headers[ACAO] == ALLOWED
    assert response.headers[ACAC] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert int(response.headers["access-control-max-age"]) > 0
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example.com", "null", "http://app.example.com", "https://app.example.com.evil"],
)
def test_preflight_from_a_refused_origin_is_400_without_cors_headers(origin: str) -> None:
    with capture_logs() as logs:
        response = preflight(fastapi_client(), origin)
    assert response.status_code == 400
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert [log["event"] for log in logs] == ["cors_blocked"]


def test_preflight_with_a_method_or_header_outside_the_policy_is_400() -> None:
    client = fastapi_client()
    assert preflight(client, ALLOWED, method="PROPFIND").status_code == 400
    response = preflight(client, ALLOWED, headers="x-not-allowed")
    assert response.status_code == 400
    assert "headers" in response.text


def test_actual_request_from_an_allowed_origin_gets_acao_and_exposed_headers() -> None:
    with capture_logs() as logs:
        response = fastapi_client().post("/api/data", headers={"origin": ALLOWED})
    assert response.status_code == 200
    assert response.json() == {"created": True}
    assert response.headers[ACAO] == ALLOWED
    assert response.headers[ACAC] == "true"
    assert response.headers["access-control-expose-headers"].lower() == "x-request-id"
    assert response.headers["vary"] == "Origin"
    assert logs[0]["event"] == "cors_decision"
    assert logs[0]["origin"] == ALLOWED


def test_actual_request_from_a_refused_origin_runs_but_gets_no_cors_headers() -> None:
    response = fastapi_client().get("/api/data", headers={"origin": "https://evil.example.com"})
    assert response.status_code == 200  # the browser, not the server, withholds the body
    assert ACAO not in response.headers
    assert ACAC not in response.headers
    assert response.headers["vary"] == "Origin"


def test_requests_without_origin_or_outside_the_urls_regex_are_untouched() -> None:
    client = fastapi_client()
    assert ACAO not in client.get("/api/data").headers
    outside = client.get("/pages", headers={"origin": ALLOWED})
    assert ACAO not in outside.headers
    assert "vary" not in outside.headers


def test_wildcard_with_credentials_refuses_to_start() -> None:
    spec = PolicySpec(preset="custom", allow_all_origins=True, allow_credentials=True)
    with pytest.raises(CORSValidationError):
        CORSMiddleware(FastAPI(), spec)


def test_wildcard_without_credentials_answers_star() -> None:
    spec = PolicySpec(preset="custom", allow_all_origins=True, allow_credentials=False)
    response = fastapi_client(spec).get("/api/data", headers={"origin": "https://any.example"})
    assert response.headers[ACAO] == "*"


def test_without_config_the_environment_configures_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_PRESET", "production")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://env.example.com")
    monkeypatch.setenv("CORS_LOG_BURST", "3")
    middleware = CORSMiddleware(FastAPI())
    assert isinstance(middleware.config, CORSConfig)
    assert middleware.policy.preset == "production"
    assert "https://env.example.com" in middleware.policy.origins
    assert middleware.decisions.burst == 3
    client = fastapi_client(None)
    response = client.get("/api/data", headers={"origin": "https://env.example.com"})
    assert response.headers[ACAO] == "https://env.example.com"


def test_a_plain_starlette_app_and_an_existing_vary_header() -> None:
    def page(request: object) -> PlainTextResponse:
        return PlainTextResponse("hi", headers={"Vary": "Accept-Encoding"})

    app = Starlette(routes=[Route("/api/page", page)])
    client = TestClient(CORSMiddleware(app, SPEC))
    response = client.get("/api/page", headers={"origin": ALLOWED})
    assert response.text == "hi"
    assert response.headers[ACAO] == ALLOWED
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_websocket_scopes_pass_through() -> None:
    app = FastAPI()

    @app.websocket("/api/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app.add_middleware(CORSMiddleware, config=SPEC)
    with TestClient(app) as client, client.websocket_connect("/api/ws") as socket:
        assert socket.receive_text() == "hi"


def test_the_seeds_import_path_is_this_class() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from netrun_cors.middleware import CORSMiddleware as SeedMiddleware

    assert SeedMiddleware is CORSMiddleware
