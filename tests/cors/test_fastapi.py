"""``add_cors`` on a real FastAPI app through Starlette's TestClient."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient

from netrun.cors import CORSConfig, PolicySpec
from netrun.cors.contrib.fastapi import add_cors
from netrun.errors import CORSValidationError
from netrun.logging.testing import capture_logs

ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ALLOWED = "https://app.example.com"

SPEC = PolicySpec(
    preset="production",
    environment="production",
    origins=(ALLOWED,),
    origin_regexes=(r"https://example\.com",),
    allow_credentials=True,
    urls_regex=r"^/api/",
)


def make_app(config: CORSConfig | PolicySpec = SPEC) -> TestClient:
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

    add_cors(app, config)
    return TestClient(app)


@pytest.fixture
def client() -> TestClient:
    return make_app()


def preflight(client: TestClient, origin: str, method: str = "POST", headers: str = "") -> object:
    request_headers = {"origin": origin, "access-control-request-method": method}
    if headers:
        request_headers["access-control-request-headers"] = headers
    return client.options("/api/data", headers=request_headers)


def test_preflight_from_a_listed_origin(client: TestClient) -> None:
    response = client.options(
        "/api/data",
        headers={
            "origin": ALLOWED,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-correlation-id",
        },
    )

    assert response.status_code == 200
    assert response.headers[ACAO] == ALLOWED
    assert response.headers[ACAC] == "true"
    assert response.headers["access-control-max-age"] == "3600"


def test_simple_request_from_a_listed_origin(client: TestClient) -> None:
    response = client.get("/api/data", headers={"origin": ALLOWED})

    assert response.headers[ACAO] == ALLOWED
    assert response.headers[ACAC] == "true"
    assert response.headers["access-control-expose-headers"] == "x-correlation-id"
    assert "origin" in response.headers["vary"].lower()


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com.evil.io",
        "https://evil.app.example.com",
        "https://example.com.evil.io",
        "https://notexample.com",
        "null",
        "https://APP.example.com",
        "https://app.example.com.",
        "https://evil@app.example.com",
        "https://app.example.com:8443",
        "https://app.example.com:443",
        "http://app.example.com",
        "https://app.example.com/",
        "https://app.example.com https://evil.io",
    ],
)
def test_every_bypass_trick_is_blocked(client: TestClient, origin: str) -> None:
    simple = client.get("/api/data", headers={"origin": origin})
    options = client.options(
        "/api/data", headers={"origin": origin, "access-control-request-method": "GET"}
    )

    assert simple.status_code == 200
    assert options.status_code == 400
    for response in (simple, options):
        assert ACAO not in response.headers
        # Starlette would send Allow-Credentials to every origin; the policy does not.
        assert ACAC not in response.headers
        assert not [name for name in response.headers if name.startswith("access-control-")]


def test_a_method_outside_the_policy_fails_the_preflight(client: TestClient) -> None:
    response = client.options(
        "/api/data", headers={"origin": ALLOWED, "access-control-request-method": "TRACE"}
    )

    assert response.status_code == 400
    assert "method" in response.text


def test_paths_outside_the_urls_regex_get_no_cors(client: TestClient) -> None:
    assert ACAO not in client.get("/pages", headers={"origin": ALLOWED}).headers


def test_wildcard_with_credentials_refuses_to_start() -> None:
    spec = PolicySpec(preset="custom", allow_all_origins=True, allow_credentials=True)
    with pytest.raises(CORSValidationError, match=r"netrun\.cors\.E003"):
        make_app(spec)


def test_an_unanchored_regex_is_matched_whole(client: TestClient) -> None:
    assert client.get("/api/data", headers={"origin": "https://example.com"}).headers[ACAO] == (
        "https://example.com"
    )


def test_wildcard_without_credentials_allows_any_wellformed_origin() -> None:
    client = make_app(PolicySpec(preset="custom", allow_all_origins=True, allow_credentials=False))

    assert client.get("/api/data", headers={"origin": "https://x.example.net"}).headers[ACAO] == "*"
    assert ACAO not in client.get("/api/data", headers={"origin": "null"}).headers


def test_a_cors_config_is_accepted_and_its_log_settings_used() -> None:
    config = CORSConfig(
        preset="production",
        app_environment="production",
        allowed_origins=[ALLOWED],
        log_burst=2,
    )
    client = make_app(config)
    with capture_logs() as logs:
        for number in range(10):
            client.get("/api/data", headers={"origin": f"https://evil{number}.io"})
        client.get("/api/data", headers={"origin": ALLOWED})

    assert [log["event"] for log in logs if log["event"].startswith("cors_")] == [
        "cors_blocked",
        "cors_blocked",
        "cors_decision",
    ]
    assert logs[0]["reason"] == "not_allowed"


def test_add_cors_reads_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_PRESET", "production")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", ALLOWED)
    app = FastAPI()
    policy = add_cors(app)
    assert policy.preset == "production"
    assert ALLOWED in policy.origins


def test_same_origin_requests_are_not_logged_as_blocked(client: TestClient) -> None:
    with capture_logs() as logs:
        client.post("/api/data", headers={"origin": "http://testserver"})

    assert not [log for log in logs if log["event"] == "cors_blocked"]


def test_websocket_and_lifespan_scopes_pass_through() -> None:
    app = FastAPI()

    @app.websocket("/api/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    add_cors(app, SPEC)
    with TestClient(app) as client, client.websocket_connect("/api/ws") as socket:
        assert socket.receive_text() == "hi"
