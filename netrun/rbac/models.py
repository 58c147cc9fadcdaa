"""Tenancy models of ``netrun.rbac``."""

from __future__ import annotations

import uuid

from django.db import models


class Tenant(models.Model):
    """A customer organisation: every tenant-scoped row belongs to exactly one.

    The default tenant model (``NETRUN_TENANT_MODEL = "netrun_rbac.Tenant"``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "tenant"
        verbose_name_plural = "tenants"

    def __str__(self) -> str:
        return self.name
