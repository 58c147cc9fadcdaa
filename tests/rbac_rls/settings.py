"""Settings of the RLS suite's subprocesses: two aliases on a real PostgreSQL database.

``default`` connects as the app role (NOSUPERUSER NOBYPASSRLS NOINHERIT, not the owner),
``owner`` as the role that runs migrations. DSNs and role names come from the environment
the tests set; ``NETRUN_RLS_POOL=1`` uses Django's native psycopg pool.
"""

from __future__ import annotations

import os
from typing import Any

from psycopg.conninfo import conninfo_to_dict

SECRET_KEY = "netrun-rls-tests-only-" + "x" * 40
USE_TZ = True
ROOT_URLCONF = "tests.rbac_rls.urls"
ALLOWED_HOSTS = ["testserver"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "netrun.core",
    "netrun.errors",
    "netrun.logging",
    "netrun.rbac",
    "tests.rbac_rls.rlsapp",
]
MIDDLEWARE: list[str] = []
NETRUN_TENANT_MODEL = "netrun_rbac.Tenant"


def _database(dsn: str, **extra: Any) -> dict[str, Any]:
    params = conninfo_to_dict(dsn)
    return {
        "ENGINE": "netrun.rbac.db.backends.postgresql",
        "NAME": params.get("dbname", ""),
        "USER": params.get("user", ""),
        "PASSWORD": params.get("password", ""),
        "HOST": params.get("host", "127.0.0.1"),
        "PORT": params.get("port", ""),
        **extra,
    }


if os.environ.get("NETRUN_RLS_POOL") == "1":
    from netrun.db_pool._tenant import clear_tenant

    _app = _database(
        os.environ["NETRUN_RLS_APP_DSN"],
        CONN_MAX_AGE=0,
        OPTIONS={"pool": {"min_size": 1, "max_size": 2, "timeout": 10, "reset": clear_tenant}},
    )
elif os.environ.get("NETRUN_RLS_POOLER") == "1":
    # Through PgBouncer in transaction mode: no server-side cursors (WITH HOLD cursors
    # outlive the transaction, and so the server session), no prepared statements.
    _app = _database(
        os.environ["NETRUN_RLS_APP_DSN"],
        CONN_MAX_AGE=600,
        DISABLE_SERVER_SIDE_CURSORS=True,
        OPTIONS={"prepare_threshold": None},
    )
else:
    _app = _database(os.environ["NETRUN_RLS_APP_DSN"], CONN_MAX_AGE=600)

DATABASES = {"default": _app, "owner": _database(os.environ["NETRUN_RLS_OWNER_DSN"])}
DATABASE_ROUTERS = ["netrun.rbac.db.router.TenantRLSRouter"]
NETRUN_RBAC_RLS_APP_ROLE = os.environ["NETRUN_RLS_APP_ROLE"]
NETRUN_RBAC_RLS_CROSS_TENANT_ROLE = os.environ.get("NETRUN_RLS_CROSS_ROLE") or None
NETRUN_RBAC_TENANT_SCOPE = os.environ.get("NETRUN_RLS_SCOPE") or "session"
NETRUN_RBAC_TENANT_SESSION_CHECK = os.environ.get("NETRUN_RLS_SESSION_CHECK") or "auto"
