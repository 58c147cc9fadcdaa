"""Seeded escape paths: each line marked `# seeded: NRxxx` must be reported."""

from __future__ import annotations

from django.db import models

from netrun.rbac.managers import TenantScopedManager
from netrun.rbac.models import TenantScopedModel


class Order(TenantScopedModel):
    total = models.IntegerField()
    everything = models.Manager()  # seeded: NR001


class Invoice(Order):
    objects = TenantScopedManager()  # fine: scoped


class Product(TenantScopedModel):
    name = models.CharField(max_length=10)

    class Meta:
        db_table = "catalogue_product"
