"""The seeds' async tests run as written, with what the plugin's extra brings (pytest-asyncio).

The seeds write ``async def test_...`` with ``async with TenantTestContext(tenant_id=...)``;
pytest-asyncio runs them (strict mode: the ``asyncio`` mark), and the tenant holds across the
awaits and tasks of the test, then is gone.
"""

from __future__ import annotations

import asyncio

import pytest

from netrun.core.context import current_tenant_id
from netrun.rbac.testing import BackgroundTaskTenantContext, TenantTestContext

pytestmark = pytest.mark.asyncio


async def _tenant_after_a_hop() -> str | None:
    await asyncio.sleep(0)
    return current_tenant_id()


async def test_cross_tenant_contexts_as_the_seeds_write_them() -> None:
    async with TenantTestContext(tenant_id="tenant-a") as ctx_a:
        seen_a = await asyncio.create_task(_tenant_after_a_hop())
    async with TenantTestContext(tenant_id="tenant-b") as ctx_b:
        seen_b = await _tenant_after_a_hop()
    assert (ctx_a.tenant_id, seen_a) == ("tenant-a", "tenant-a")
    assert (ctx_b.tenant_id, seen_b) == ("tenant-b", "tenant-b")
    assert current_tenant_id() is None


async def test_a_background_task_keeps_its_tenant_as_the_seeds_write_it() -> None:
    async def process_webhook(tenant_id: str) -> str | None:
        async with BackgroundTaskTenantContext(tenant_id):
            return await _tenant_after_a_hop()

    seen = await asyncio.gather(process_webhook("t1"), process_webhook("t2"))
    assert seen == ["t1", "t2"]
    assert current_tenant_id() is None
