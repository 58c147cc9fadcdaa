"""Signals sent by ``netrun.rbac``.

Connect receivers in your ``AppConfig.ready()``; netrun's own receivers live in
:mod:`netrun.rbac.receivers`.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["tenant_resolved"]

#: Sent by ``TenantMiddleware`` once a request's tenant is resolved and checked, with
#: ``request`` and ``tenant``. Receiver example::
#:
#:     @receiver(tenant_resolved)
#:     def remember(sender, request, tenant, **kwargs):
#:         request.session["last_tenant"] = str(tenant.pk)
tenant_resolved = Signal()
