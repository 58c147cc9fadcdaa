"""A streamed response's body runs after every middleware returned: it must still see the
request's correlation ID and tenant (and query only the tenant's rows), sync and async, and
a client that hangs up closes it in that context; nothing leaks into the caller's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.test import AsyncClient, Client

from netrun.core.context import (
    capture,
    current_correlation_id,
    current_tenant_id,
    iterate_in_context,
    tenant_context,
)
from tests.rbac import views
from tests.rbac.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def lines(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines()]


def test_a_sync_streamed_body_runs_in_the_requests_context(world: World) -> None:
    client = Client()
    client.force_login(world.alice)
    response = client.get("/stream-whoami/", HTTP_X_TENANT_ID="acme")
    seen = lines(b"".join(response.streaming_content))
    correlation_id = response["X-Correlation-ID"]
    assert (
        seen
        == [
            {"correlation_id": correlation_id, "tenant_id": str(world.a.pk), "titles": ["A secret"]}
        ]
        * 3
    )
    assert current_tenant_id() is None


def test_an_async_streamed_body_runs_in_the_requests_context(world: World) -> None:
    async def run() -> tuple[list[dict[str, Any]], str, str | None]:
        client = AsyncClient()
        await client.aforce_login(world.alice)
        response = await client.get("/async-stream-whoami/", headers={"X-Tenant-ID": "acme"})
        body = b"".join([chunk async for chunk in response.streaming_content])
        return lines(body), response["X-Correlation-ID"], current_tenant_id()

    seen, correlation_id, after = asyncio.run(run())
    assert (
        seen
        == [
            {"correlation_id": correlation_id, "tenant_id": str(world.a.pk), "titles": ["A secret"]}
        ]
        * 3
    )
    assert after is None


def test_a_body_closed_early_is_closed_in_the_requests_context(world: World) -> None:
    views.CLOSED_IN.clear()
    client = Client()
    client.force_login(world.alice)
    response = client.get("/stream-whoami/", HTTP_X_TENANT_ID="acme")
    next(iter(response.streaming_content))
    response.close()  # the client went away after one line
    (closed,) = [json.loads(line) for line in views.CLOSED_IN]
    assert closed == {"correlation_id": response["X-Correlation-ID"], "tenant_id": str(world.a.pk)}


def test_iterating_in_a_context_leaves_the_consumers_own() -> None:
    def produce() -> Any:
        for _ in range(2):
            yield (current_tenant_id(), current_correlation_id())

    with tenant_context("acme"):
        carried = capture()
    wrapped = iterate_in_context(produce(), carried)
    assert current_tenant_id() is None
    assert list(wrapped) == [("acme", None)] * 2  # type: ignore[arg-type]
    assert current_tenant_id() is None

    async def aproduce() -> Any:
        for _ in range(2):
            await asyncio.sleep(0)
            yield current_tenant_id()

    async def consume() -> tuple[list[Any], str | None]:
        with tenant_context("globex"):
            seen = [item async for item in iterate_in_context(aproduce(), carried)]  # type: ignore[union-attr]
            return seen, current_tenant_id()

    assert asyncio.run(consume()) == (["acme", "acme"], "globex")
