from __future__ import annotations

from django.db import models

from netrun.rbac.models import TenantScopedModel


class Page(TenantScopedModel):
    title = models.CharField(max_length=10)
