"""Writing ``EnableRLS`` migrations for the tenant-scoped models an app has not covered yet.

Django's autodetector does not see policies (they are not model state), so this helper
finds the app's ``tenant_rls = True`` models whose migrations hold no ``EnableRLS`` (or whose
latest RLS operation is a ``DisableRLS``) and writes one migration after the app's leaf.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.writer import MigrationWriter

from netrun.rbac.db.operations import DisableRLS, EnableRLS

__all__ = ["pending_rls_operations", "rls_migration"]


def pending_rls_operations(
    app_label: str, loader: MigrationLoader | None = None
) -> list[EnableRLS]:
    """``EnableRLS`` for each ``tenant_rls`` model of ``app_label`` not covered yet."""
    from netrun.rbac.registry import tenant_scoped_models

    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    covered: dict[str, bool] = {}
    plan = loader.graph.forwards_plan(leaf) if (leaf := _leaf(loader, app_label)) else []
    for key in plan:
        if key[0] != app_label:
            continue
        for operation in loader.graph.nodes[key].operations:
            if isinstance(operation, (EnableRLS, DisableRLS)):
                covered[operation.model_name.lower()] = isinstance(operation, EnableRLS)
    app_models = apps.get_app_config(app_label).get_models()
    wanted = set(tenant_scoped_models(rls_only=True))
    operations: list[EnableRLS] = []
    for model in app_models:
        if model not in wanted or covered.get(model._meta.model_name or ""):
            continue
        field = getattr(model, "tenant_field_name", "tenant")
        operations.append(EnableRLS(model._meta.object_name or "", tenant_field=field))
    return operations


def _leaf(loader: MigrationLoader, app_label: str) -> tuple[str, str] | None:
    leaves = loader.graph.leaf_nodes(app_label)
    return leaves[0] if leaves else None


def rls_migration(app_label: str, *, name: str = "netrun_rls") -> tuple[Path, str] | None:
    """``(path, source)`` of the migration to write, or ``None`` when nothing is pending."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    operations = pending_rls_operations(app_label, loader)
    if not operations:
        return None
    leaf = _leaf(loader, app_label)
    number = 1
    if leaf is not None:
        prefix = leaf[1].split("_", 1)[0]
        number = int(prefix) + 1 if prefix.isdigit() else 1
    migration: Any = Migration(f"{number:04d}_{name}", app_label)
    migration.dependencies = [leaf] if leaf else []
    migration.operations = operations
    writer = MigrationWriter(migration)
    return Path(writer.path), writer.as_string()
