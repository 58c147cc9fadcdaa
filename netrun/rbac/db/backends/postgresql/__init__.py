"""PostgreSQL backend that writes the context's tenant for row-level security.

``ENGINE = "netrun.rbac.db.backends.postgresql"``; see :mod:`.base`.
"""
