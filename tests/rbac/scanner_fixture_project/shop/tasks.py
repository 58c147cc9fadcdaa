"""Seeded escape paths: each line marked `# seeded: NRxxx` must be reported."""

from __future__ import annotations

from celery import shared_task
from shop.models import Order

from netrun.rbac.celery import TenantTask, tenant_task
from netrun.rbac.context import BackgroundTaskTenantContext


@shared_task  # seeded: NR007
def recompute():
    return Order.objects.count()


@tenant_task
def recompute_scoped():
    return Order.objects.count()


@shared_task(base=TenantTask)
def recompute_based():
    return Order.objects.count()


@shared_task
def recompute_for(tenant_id):
    with BackgroundTaskTenantContext(tenant_id):
        return Order.objects.count()


@shared_task
def unrelated():
    return 1
