"""The netrun CorsMiddleware through Django's test client: real requests, real responses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from corsheaders.signals import check_request_enabled
from django.http import HttpRequest
from django.test import AsyncClient, Client, override_settings

from netrun.logging.testing import capture_logs

pytestmark = pytest.mark.usefixtures("production")

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ALLOWED = "https://app.example.com"


def preflight(client: Client, origin: str, path: str = "/api/data/", method: str = "POST") -> Any:
    return client.options(
        path,
        headers={
            "origin": origin,
            "access-control-request-method": method,
            "access-control-request-headers": "content-type, x-correlation-id",
        },
    )


def test_preflight_from_a_listed_origin_is_answered_with_the_policy(client: Client) -> None:
    response = preflight(client, ALLOWED)

    assert response.status_code == 200
    assert response[ACAO] == ALLOWED
    assert response[ACAC] == "true"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "x-correlation-id" in response["Access-Control-Allow-Headers"]
    assert response["Access-Control-Max-Age"] == "3600"
    assert "origin" in response["Vary"].lower()


def test_simple_request_from_a_listed_origin_gets_the_origin_and_exposed_headers(
    client: Client,
) -> None:
    response = client.get("/api/data/", headers={"origin": ALLOWED})

    assert response.status_code == 200
    assert response[ACAO] == ALLOWED
    assert response[ACAC] == "true"
    assert response["Access-Control-Expose-Headers"] == "x-correlation-id"
    assert "Access-Control-Allow-Methods" not in response


def test_the_unanchored_regex_matches_its_own_origin(client: Client) -> None:
    assert client.get("/api/data/", headers={"origin": "https://example.com"})[ACAO] == (
        "https://example.com"
    )


def test_a_request_without_origin_gets_no_cors_headers(client: Client) -> None:
    response = client.get("/api/data/")

    assert ACAO not in response
    assert "origin" in response["Vary"].lower()


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://app.example.com.evil.io", id="suffix-domain"),
        pytest.param("https://evil.app.example.com", id="prefix-subdomain"),
        pytest.param("https://evilapp.example.com", id="prefix-glued"),
        pytest.param("https://example.com.evil.io", id="regex-suffix"),
        pytest.param("https://notexample.com", id="regex-prefix"),
        pytest.param("https://exampleXcom", id="regex-dot"),
        pytest.param("null", id="null"),
        pytest.param("https://APP.example.com", id="uppercase-host"),
        pytest.param("HTTPS://app.example.com", id="uppercase-scheme"),
        pytest.param("https://app.example.com.", id="trailing-dot"),
        pytest.param("https://evil@app.example.com", id="userinfo"),
        pytest.param("https://app.example.com@evil.io", id="userinfo-reversed"),
        pytest.param("https://app.example.com:8443", id="other-port"),
        pytest.param("https://app.example.com:443", id="explicit-default-port"),
        pytest.param("http://app.example.com", id="http-scheme"),
        pytest.param("wss://app.example.com", id="other-scheme"),
        pytest.param("https://app.example.com/", id="trailing-slash"),
        pytest.param("https://app.example.com/.evil.io", id="path"),
        pytest.param("https://app.example.com https://evil.io", id="two-origins"),
        pytest.param("https://app.example.com\r\nX-Evil: 1", id="crlf"),
        pytest.param("*", id="star"),
        pytest.param("", id="empty"),
    ],
)
def test_every_bypass_trick_is_blocked_for_preflight_and_simple_requests(
    client: Client, origin: str
) -> None:
    simple = client.get("/api/data/", headers={"origin": origin})
    options = preflight(client, origin)

    for response in (simple, options):
        assert ACAO not in response
        assert ACAC not in response
        assert "Access-Control-Allow-Methods" not in response


def test_cors_headers_stay_on_the_urls_regex_paths(client: Client) -> None:
    with override_settings(NETRUN_CORS_URLS_REGEX=r"^/api/"):
        assert client.get("/api/data/", headers={"origin": ALLOWED})[ACAO] == ALLOWED
        assert ACAO not in client.get("/pages/", headers={"origin": ALLOWED})


def test_override_settings_rebuilds_the_policy(client: Client) -> None:
    assert ACAO not in client.get("/api/data/", headers={"origin": "https://new.example.com"})
    with override_settings(NETRUN_CORS_ALLOWED_ORIGINS=["https://new.example.com"]):
        response = client.get("/api/data/", headers={"origin": "https://new.example.com"})
    assert response[ACAO] == "https://new.example.com"


def test_settings_that_do_not_validate_turn_cors_off_instead_of_500(client: Client) -> None:
    with capture_logs() as logs, override_settings(NETRUN_CORS_MAX_AGE=-1):
        first = client.get("/api/data/", headers={"origin": ALLOWED})
        second = client.get("/api/data/", headers={"origin": ALLOWED})

    assert first.status_code == second.status_code == 200
    assert ACAO not in first
    assert [log["event"] for log in logs].count("cors_config_unreadable") == 1


def test_refused_entries_are_dropped_and_logged_once(client: Client) -> None:
    with (
        capture_logs() as logs,
        override_settings(
            NETRUN_CORS_ALLOWED_ORIGINS=["http://app.example.com", "null", "https://ok.example.com"]
        ),
    ):
        insecure = client.get("/api/data/", headers={"origin": "http://app.example.com"})
        null = client.get("/api/data/", headers={"origin": "null"})
        fine = client.get("/api/data/", headers={"origin": "https://ok.example.com"})

    assert ACAO not in insecure
    assert ACAO not in null
    assert fine[ACAO] == "https://ok.example.com"
    refused = [log for log in logs if log["event"] == "cors_config_refused"]
    assert len(refused) == 1
    assert refused[0]["checks"] == ["netrun.cors.E005", "netrun.cors.E004"]


def test_wildcard_with_credentials_is_refused_at_runtime(client: Client) -> None:
    with override_settings(
        NETRUN_APP_ENVIRONMENT="development",
        NETRUN_CORS_PRESET="custom",
        NETRUN_CORS_ALLOW_ALL_ORIGINS=True,
        NETRUN_CORS_ALLOW_CREDENTIALS=True,
    ):
        evil = client.get("/api/data/", headers={"origin": "https://evil.io"})
        listed = client.get("/api/data/", headers={"origin": ALLOWED})

    assert ACAO not in evil
    assert listed[ACAO] == ALLOWED


def test_wildcard_without_credentials_answers_star(client: Client) -> None:
    with override_settings(
        NETRUN_APP_ENVIRONMENT="development",
        NETRUN_CORS_PRESET="custom",
        NETRUN_CORS_ALLOW_ALL_ORIGINS=True,
        NETRUN_CORS_ALLOW_CREDENTIALS=False,
    ):
        response = client.get("/api/data/", headers={"origin": "https://any.example.net"})
        null = client.get("/api/data/", headers={"origin": "null"})

    assert response[ACAO] == "*"
    assert ACAC not in response
    assert ACAO not in null


def test_null_is_allowed_only_when_listed_in_development(client: Client) -> None:
    with override_settings(
        NETRUN_APP_ENVIRONMENT="development",
        NETRUN_CORS_PRESET="development",
        NETRUN_CORS_ALLOWED_ORIGINS=["null"],
    ):
        assert client.get("/api/data/", headers={"origin": "null"})[ACAO] == "null"
        # The development preset's loopback origins, any port.
        local = client.get("/api/data/", headers={"origin": "http://localhost:5173"})
        assert local[ACAO] == "http://localhost:5173"
        assert ACAO not in client.get("/api/data/", headers={"origin": "http://localhost.evil.io"})


def test_the_preset_supplies_what_is_not_set(client: Client) -> None:
    with override_settings(NETRUN_CORS_PRESET="oauth", NETRUN_CORS_ALLOW_CREDENTIALS=None):
        response = preflight(client, ALLOWED)

    assert response["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "accept, authorization, content-type"
    assert ACAC not in response


class TestPerViewPolicy:
    def test_a_view_policy_replaces_the_origins(self, client: Client) -> None:
        partner = client.get("/api/partner/", headers={"origin": "https://partner.example.org"})
        app = client.get("/api/partner/", headers={"origin": ALLOWED})

        assert partner[ACAO] == "https://partner.example.org"
        assert ACAC not in partner
        assert ACAO not in app

    def test_preflight_uses_the_view_policy_before_the_view_runs(self, client: Client) -> None:
        response = preflight(client, "https://partner.example.org", path="/api/partner/")

        assert response[ACAO] == "https://partner.example.org"
        assert response["Access-Control-Max-Age"] == "60"

    def test_a_disabled_view_gets_no_cors_headers(self, client: Client) -> None:
        response = client.get("/api/private/", headers={"origin": ALLOWED})

        assert ACAO not in response
        assert "Vary" not in response or "origin" not in response["Vary"].lower()

    def test_a_class_based_view_policy_is_found(self, client: Client) -> None:
        simple = client.get("/api/read-only/", headers={"origin": ALLOWED})
        options = preflight(client, ALLOWED, path="/api/read-only/", method="GET")

        assert simple[ACAO] == ALLOWED
        assert simple["Access-Control-Expose-Headers"] == "x-total-count"
        assert options["Access-Control-Allow-Methods"] == "GET"

    def test_a_view_policy_keeps_the_strict_rules(self, client: Client) -> None:
        assert ACAO not in client.get("/api/partner/", headers={"origin": "null"})

    def test_unknown_paths_use_the_project_policy(self, client: Client) -> None:
        response = client.get("/nowhere/", headers={"origin": ALLOWED})

        assert response.status_code == 404
        assert response[ACAO] == ALLOWED


@pytest.fixture
def signal_allows_partner() -> Iterator[None]:
    def receiver(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
        return request.headers.get("origin", "").endswith(".partner.test")

    check_request_enabled.connect(receiver)
    yield
    check_request_enabled.disconnect(receiver)


@pytest.mark.usefixtures("signal_allows_partner")
class TestCheckRequestEnabledSignal:
    def test_a_receiver_can_allow_an_origin(self, client: Client) -> None:
        response = client.get("/api/data/", headers={"origin": "https://a.partner.test"})

        assert response[ACAO] == "https://a.partner.test"

    def test_a_receiver_cannot_undo_the_hard_rules(self, client: Client) -> None:
        insecure = client.get("/api/data/", headers={"origin": "http://a.partner.test"})
        sneaky = client.get("/api/data/", headers={"origin": "https://x@a.partner.test"})

        assert ACAO not in insecure
        assert ACAO not in sneaky

    def test_a_receiver_can_enable_paths_outside_the_urls_regex(self, client: Client) -> None:
        with override_settings(NETRUN_CORS_URLS_REGEX=r"^/api/"):
            response = client.get("/pages/", headers={"origin": "https://a.partner.test"})

        assert response[ACAO] == "https://a.partner.test"


class TestAsync:
    """The same middleware on Django's async request path (an async view, AsyncClient)."""

    def test_async_stack_allows_and_blocks(self) -> None:
        async def run() -> tuple[Any, Any]:
            client = AsyncClient()
            allowed = await client.get("/api/async/", headers={"origin": ALLOWED})
            blocked = await client.get("/api/async/", headers={"origin": "https://evil.io"})
            return allowed, blocked

        allowed, blocked = asyncio.run(run())

        assert allowed[ACAO] == ALLOWED
        assert ACAO not in blocked

    def test_async_preflight(self) -> None:
        response = asyncio.run(
            AsyncClient().options(
                "/api/async/", headers={"origin": ALLOWED, "access-control-request-method": "PUT"}
            )
        )

        assert response.status_code == 200
        assert response[ACAO] == ALLOWED


class TestDecisionLog:
    def test_allowed_and_blocked_decisions_are_logged_with_origin_and_reason(
        self, client: Client
    ) -> None:
        with capture_logs() as logs:
            client.get("/api/data/", headers={"origin": ALLOWED})
            client.get("/api/data/", headers={"origin": "https://evil.io"})

        decision = next(log for log in logs if log["event"] == "cors_decision")
        blocked = next(log for log in logs if log["event"] == "cors_blocked")
        assert decision["origin"] == ALLOWED
        assert decision["reason"] == "listed"
        assert decision["preset"] == "production"
        assert blocked["origin"] == "https://evil.io"
        assert blocked["reason"] == "not_allowed"
        assert blocked["log_level"] == "warning"

    def test_a_flood_is_sampled(self, client: Client) -> None:
        with capture_logs() as logs, override_settings(NETRUN_CORS_LOG_BURST=3):
            for number in range(50):
                client.get("/api/data/", headers={"origin": f"https://evil{number}.io"})

        assert len([log for log in logs if log["event"] == "cors_blocked"]) == 3

    def test_a_malformed_origin_is_escaped_and_truncated_in_the_log(self, client: Client) -> None:
        hostile = "https://evil.io\x1b[31m\u202e" + "A" * 5000
        with capture_logs() as logs:
            client.get("/api/data/", headers={"origin": hostile})

        blocked = next(log for log in logs if log["event"] == "cors_blocked")
        assert blocked["reason"] == "malformed_origin"
        assert blocked["detail"] == "invalid_characters"
        assert "\x1b" not in blocked["origin"]
        assert "\u202e" not in blocked["origin"]
        assert "\\x1b" in blocked["origin"]
        assert len(blocked["origin"]) < 200

    def test_same_origin_requests_are_not_reported_as_blocked(self, client: Client) -> None:
        with capture_logs() as logs:
            client.post("/api/data/", headers={"origin": "http://testserver"})

        assert not [log for log in logs if log["event"] == "cors_blocked"]
