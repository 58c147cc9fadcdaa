"""Tenant-scoped models behind row-level security: projects, their labels (M2M), tasks."""

from __future__ import annotations

from django.db import models

from netrun.rbac.models import TenantScopedModel


class Label(TenantScopedModel):
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


class Project(TenantScopedModel):
    title = models.CharField(max_length=200)
    labels = models.ManyToManyField(Label, blank=True, related_name="projects")

    def __str__(self) -> str:
        return self.title
