"""Tenant context for work outside a request: threads, ``asyncio`` tasks, commands, tests.

Framework-neutral. Both classes bind the tenant in :mod:`netrun.core.context` for a ``with``
or ``async with`` block and restore the previous value after, also when the block raises::

    async with BackgroundTaskTenantContext(tenant_id):
        await process_webhook(data)
"""

from __future__ import annotations

from typing import Any

from netrun.core.blocks import AsyncWithSupport
from netrun.core.context import ContextBinding, bind
from netrun.errors import TenantContextMissingError
from netrun.logging import get_logger

__all__ = ["BackgroundTaskTenantContext", "TenantTestContext"]

logger = get_logger("netrun.rbac")


def _tenant_id_of(tenant: Any) -> str:
    value = getattr(tenant, "pk", tenant)
    if value is None or value == "":
        raise TenantContextMissingError("A tenant ID is required for a tenant context.")
    return str(value)


class _TenantBlock(AsyncWithSupport):
    def __init__(self, tenant_id: Any, *, user_id: Any = None) -> None:
        self.tenant_id = _tenant_id_of(tenant_id)
        self.user_id = None if user_id is None else str(getattr(user_id, "pk", user_id))
        self._bindings: list[ContextBinding[None]] = []

    def _binding(self) -> ContextBinding[None]:
        if self.user_id is None:
            return bind(tenant_id=self.tenant_id)
        return bind(tenant_id=self.tenant_id, user_id=self.user_id)

    def __enter__(self) -> _TenantBlock:
        binding = self._binding()
        binding.__enter__()
        self._bindings.append(binding)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bindings.pop().__exit__(*exc_info)


class BackgroundTaskTenantContext(_TenantBlock):
    """Run background work (threads, ``asyncio.create_task``, commands) for one tenant.

    ``None`` or ``""`` raises ``TenantContextMissingError``: background work never runs with
    an accidental "no tenant". Entering is logged (``rbac_background_context``).
    """

    def __enter__(self) -> BackgroundTaskTenantContext:
        logger.debug("rbac_background_context", tenant_id=self.tenant_id)
        super().__enter__()
        return self


class TenantTestContext(_TenantBlock):
    """Act as a tenant (and optionally a user) inside a test, sync or async.

    Accepts an ID or a tenant object (its ``pk``); ``as ctx`` gives ``ctx.tenant_id``.
    """

    def __enter__(self) -> TenantTestContext:
        super().__enter__()
        return self
