"""Seeded escape paths: each line marked `# seeded: NRxxx` must be reported."""

from __future__ import annotations

from django.db import connection
from shop.models import Order, Product

from netrun.rbac import unscoped


def leaks(request):
    a = Order.all_tenants.filter(total=1)  # seeded: NR002
    b = Order.all_tenants.reason("monthly revenue report").count()  # fine: has a reason
    with unscoped():  # seeded: NR002
        pass
    with unscoped(reason=""):  # seeded: NR002
        pass
    with unscoped(reason="backfill"):  # fine
        pass
    c = Order.objects.raw("SELECT * FROM shop_order")  # seeded: NR003
    d = Order.objects.extra(where=["1=1"])  # seeded: NR004
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM shop_order WHERE total > 1")  # seeded: NR005
        cursor.execute("UPDATE catalogue_product SET name = 'x'")  # seeded: NR005
        cursor.execute("SELECT * FROM shop_order WHERE tenant_id = %s", [1])  # fine
        cursor.execute("SELECT * FROM auth_user")  # fine: not a tenant table
    e = Order.objects.using("owner").all()  # seeded: NR006
    f = Order._base_manager.all()  # seeded: NR008
    g = Order.all_tenants.count()  # netrun: allow-cross-tenant admin dashboard totals
    # netrun: allow-cross-tenant
    h = Order._base_manager.count()  # seeded: NR008 (a suppression without a reason)
    # netrun: allow-cross-tenant support tooling, audited
    i = Product._base_manager.count()
    return a, b, c, d, e, f, g, h, i
