"""A callable tenant rule: the tenant from a legacy slug column (no foreign key to follow)."""

from __future__ import annotations

import uuid
from typing import Any

ACME = uuid.UUID("00000000-0000-4000-8000-00000000a001")
GLOBEX = uuid.UUID("00000000-0000-4000-8000-00000000b002")
TENANTS = {"acme": ACME, "globex": GLOBEX}


def tenant_by_slug(invoice: Any) -> uuid.UUID | None:
    return TENANTS.get(invoice.customer_slug)


def no_such_tenant(invoice: Any) -> uuid.UUID:
    """A broken rule: a tenant ID no tenant has."""
    return uuid.UUID(int=invoice.pk)
