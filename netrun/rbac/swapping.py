"""The swappable tenant model: ``NETRUN_TENANT_MODEL``, like ``AUTH_USER_MODEL``.

``NETRUN_TENANT_MODEL = "billing.Organisation"`` swaps the default ``netrun_rbac.Tenant``
for a model of your own; it needs ``slug``, ``name`` and ``is_active`` fields. The setting
is read when models are defined (foreign keys need it then, as for ``AUTH_USER_MODEL``) and
never cached, so migrations and checks see the same value.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_TENANT_MODEL", "TENANT_MODEL_SETTING", "get_tenant_model", "tenant_model_name"]

TENANT_MODEL_SETTING = "NETRUN_TENANT_MODEL"
DEFAULT_TENANT_MODEL = "netrun_rbac.Tenant"


def tenant_model_name() -> str:
    """``"app_label.ModelName"`` of the tenant model."""
    from django.conf import settings

    return str(getattr(settings, TENANT_MODEL_SETTING, DEFAULT_TENANT_MODEL))


def get_tenant_model() -> Any:
    """The tenant model class (``netrun_rbac.Tenant`` unless swapped)."""
    from django.apps import apps

    return apps.get_model(tenant_model_name(), require_ready=False)
