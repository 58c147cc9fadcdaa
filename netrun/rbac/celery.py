"""Celery: tasks that carry their tenant, and fail clearly without one.

::

    from netrun.rbac.celery import tenant_task

    @tenant_task
    def summarize(ticket_id: int) -> None:
        ticket = Ticket.objects.get(pk=ticket_id)   # scoped to the publisher's tenant

Publishing (``delay``/``apply_async``) writes the current tenant (or ``tenant_id=...``) into
the message header ``netrun_tenant_id``; the worker binds exactly that tenant around the task
and unbinds it after, so no task inherits another's tenant. A task published with no tenant
raises ``TenantContextMissingError`` in the worker before its body runs (set
``tenant_required=False`` for tasks that loop over tenants themselves). Eager and direct calls
use the caller's context. Works with or without ``netrun.logging``'s Celery propagation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task

from netrun.core.context import current_tenant_id, tenant_context
from netrun.errors import TenantContextMissingError

__all__ = ["TENANT_HEADER", "TenantTask", "tenant_task"]

#: The message header that carries the tenant.
TENANT_HEADER = "netrun_tenant_id"


class TenantTask(Task):  # type: ignore[misc]
    """Base task class: carries the publisher's tenant and runs the task inside it."""

    #: A task without a tenant fails before it runs; ``False`` runs it with none bound.
    tenant_required: bool = True

    def apply_async(
        self, args: Any = None, kwargs: Any = None, task_id: Any = None, *rest: Any, **options: Any
    ) -> Any:
        headers = dict(options.pop("headers", None) or {})
        tenant = options.pop("tenant_id", None) or current_tenant_id()
        if tenant is not None:
            headers[TENANT_HEADER] = str(tenant)
        options["headers"] = headers
        return super().apply_async(args, kwargs, task_id, *rest, **options)

    def carried_tenant_id(self) -> str | None:
        """The tenant this run is for: the message header, or the caller's for eager runs."""
        request = self.request
        value = getattr(request, TENANT_HEADER, None)
        if value is None:
            headers = getattr(request, "headers", None)
            if isinstance(headers, dict):
                value = headers.get(TENANT_HEADER)
        if value is None and (getattr(request, "is_eager", False) or request.called_directly):
            value = current_tenant_id()
        return str(value) if value else None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tenant = self.carried_tenant_id()
        if tenant is None:
            if self.tenant_required:
                raise TenantContextMissingError(
                    f"Task {self.name} needs a tenant and was published without one: publish "
                    "it inside a tenant context or pass apply_async(..., tenant_id=...).",
                    task=self.name,
                )
            with tenant_context(None):
                return super().__call__(*args, **kwargs)
        with tenant_context(tenant):
            return super().__call__(*args, **kwargs)


def tenant_task(*args: Any, app: Any = None, **options: Any) -> Any:
    """``@tenant_task`` / ``@tenant_task(app=app, name=...)``: a task on :class:`TenantTask`."""
    options.setdefault("base", TenantTask)

    def decorate(function: Callable[..., Any]) -> Any:
        if app is not None:
            return app.task(**options)(function)
        return shared_task(**options)(function)

    if len(args) == 1 and callable(args[0]) and not options.keys() - {"base"}:
        return decorate(args[0])
    return decorate
