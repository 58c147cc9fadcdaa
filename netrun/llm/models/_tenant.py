"""How a row of a tenant's table names its tenant where the admin prints the row."""

from __future__ import annotations

__all__ = ["tenant_label"]


def tenant_label(tenant_id: str) -> str:
    """The tenant's name where the admin shows a row (delete pages, history, messages); its
    ID when it has no tenant row or the database cannot say."""
    from django.db import DatabaseError

    from netrun.llm.telemetry.dashboard.queries import tenant_labels

    try:
        return tenant_labels([tenant_id]).get(tenant_id, tenant_id)
    except DatabaseError:
        return tenant_id
