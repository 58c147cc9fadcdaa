from __future__ import annotations

import asyncio

import pytest
from fastapi import Depends, FastAPI, Request, Response
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException

from netrun.core.context import tenant_context, user_context
from netrun.errors.contrib.fastapi import install_exception_handlers
from netrun.logging.testing import capture_logs
from netrun.ratelimit import MemoryBackend, RateLimiter
from netrun.ratelimit.contrib.fastapi import RateLimit


def _app(dependency: RateLimit, client: tuple[str, int] = ("192.0.2.10", 50000)) -> TestClient:
    app = FastAPI()
    install_exception_handlers(app)

    @app.get("/items", dependencies=[Depends(dependency)])
    async def items() -> dict[str, bool]:
        return {"ok": True}

    return TestClient(app, client=client)


def test_refusals_are_the_429_envelope_with_headers() -> None:
    client = _app(RateLimit(RateLimiter("2/m", MemoryBackend()), key="ip"))
    first = client.get("/items")
    assert first.status_code == 200
    assert first.headers["RateLimit-Remaining"] == "1"
    client.get("/items")
    refused = client.get("/items")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["RateLimit-Limit"] == "2"


def test_forwarded_for_counts_only_through_trusted_proxies() -> None:
    spoofable = _app(RateLimit(RateLimiter("1/m", MemoryBackend()), key="ip"))
    codes = [
        spoofable.get("/items", headers={"X-Forwarded-For": f"6.6.6.{n}"}).status_code
        for n in range(2)
    ]
    assert codes == [200, 429]
    proxied = _app(RateLimit(RateLimiter("1/m", MemoryBackend()), trusted_proxy_count=1))
    codes = [
        proxied.get("/items", headers={"X-Forwarded-For": f"6.6.6.{n}"}).status_code
        for n in range(2)
    ]
    assert codes == [200, 200]


def test_callable_keys_sync_or_async_and_none_skips() -> None:
    async def api_key(request: Request) -> str | None:
        return request.headers.get("x-api-key")

    client = _app(RateLimit(RateLimiter("1/m", MemoryBackend()), key=api_key, cost=lambda r: 1))
    assert [client.get("/items", headers={"x-api-key": "a"}).status_code for _ in range(2)] == [
        200,
        429,
    ]
    assert [client.get("/items").status_code for _ in range(2)] == [200, 200]
    sync = _app(RateLimit(RateLimiter("1/m", MemoryBackend()), key=lambda request: "all"))
    assert [sync.get("/items").status_code for _ in range(2)] == [200, 429]


def test_context_keys_read_netrun_core() -> None:
    for name in ("tenant", "user"):
        client = _app(RateLimit(RateLimiter("1/m", MemoryBackend()), key=name, headers=False))
        assert [client.get("/items").status_code for _ in range(2)] == [200, 200]  # unbound
    tenant = RateLimit(RateLimiter("1/m", MemoryBackend()), key="tenant")
    user = RateLimit(RateLimiter("1/m", MemoryBackend()), key="user")
    request = Request({"type": "http", "headers": [], "client": None})
    with tenant_context("acme"), user_context("u1"):
        assert asyncio.run(tenant._key(request)) == "tenant:acme"
        assert asyncio.run(user._key(request)) == "user:u1"


def test_allowed_responses_can_skip_headers() -> None:
    refused_headers = _app(
        RateLimit(RateLimiter("1/m", MemoryBackend()), key=lambda r: "x", headers=False)
    )
    refused_headers.get("/items")
    assert "RateLimit-Limit" not in refused_headers.get("/items").headers


def test_bad_arguments_fail_at_construction() -> None:
    limiter = RateLimiter("1/m")
    with pytest.raises(ValueError, match="unknown rate-limit key"):
        RateLimit(limiter, key="ipp")
    with pytest.raises(ValueError, match="0 or more"):
        RateLimit(limiter, trusted_proxy_count=-1)


def test_ip_key_limits_a_peer_that_is_not_an_ip_as_itself() -> None:
    # TestClient's default peer is "testclient": limited, not skipped.
    client = _app(RateLimit(RateLimiter("2/m", MemoryBackend())), client=("testclient", 50000))
    assert [client.get("/items").status_code for _ in range(3)] == [200, 200, 429]
    request = Request({"type": "http", "headers": [], "client": ("testclient", 123)})
    assert asyncio.run(RateLimit(RateLimiter("1/m"))._key(request)) == "peer:testclient"


def test_ip_key_without_a_peer_shares_one_bucket_and_says_so_once() -> None:
    limit = RateLimit(RateLimiter("1/m", MemoryBackend()), group="nopeer")
    request = Request({"type": "http", "headers": [], "client": None})
    with capture_logs() as logs:
        keys = [asyncio.run(limit._key(request)) for _ in range(2)]
        decision = asyncio.run(limit(request, Response()))
        with pytest.raises(HTTPException) as refused:
            asyncio.run(limit(request, Response()))
    assert keys == ["peer:unknown", "peer:unknown"]
    assert decision is not None
    assert decision.allowed
    assert refused.value.status_code == 429
    warnings = [entry for entry in logs if entry["event"] == "ratelimit_no_client_address"]
    assert len(warnings) == 1
    assert "trusted_proxy_count" in warnings[0]["hint"]
