"""PostgreSQL row-level security: the second tenant wall, under the ORM's.

* :mod:`netrun.rbac.db.operations`: ``EnableRLS`` / ``DisableRLS`` migration operations;
  ``manage.py netrun_rls_migrations <app>`` writes them;
* ``netrun.rbac.db.backends.postgresql``: the ``ENGINE`` that writes the context's tenant
  (``netrun.tenant_id``) on the session or, with ``NETRUN_RBAC_TENANT_SCOPE = "transaction"``,
  at the start of every transaction;
* :class:`netrun.rbac.db.router.TenantRLSRouter`: tenant data on the app alias, migrations
  on the owner alias;
* :func:`cross_tenant`: the explicit, logged way across tenants;
* :func:`validate_rls_policies` (and ``manage.py netrun_rls_check``).
"""

from __future__ import annotations

from netrun.rbac.db._sql import TENANT_SETTING
from netrun.rbac.db._validation import RLSProblem, validate_rls_policies
from netrun.rbac.db.cross_tenant import cross_tenant

__all__ = ["TENANT_SETTING", "RLSProblem", "cross_tenant", "validate_rls_policies"]
