"""``Account`` is tenant-scoped (behind row-level security); ``Invoice`` is not, yet.

The tests make ``Invoice`` subclass ``TenantScopedModel``, as a user retrofitting tenancy
would, and keep everything else as it is.
"""

from __future__ import annotations

from django.db import models

from netrun.rbac.models import TenantScopedModel


class Account(TenantScopedModel):
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    number = models.CharField(max_length=20)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    customer_slug = models.SlugField(blank=True)

    def __str__(self) -> str:
        return self.number
