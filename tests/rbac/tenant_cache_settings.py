"""Settings of the tenant-cache processes: real PostgreSQL, the generation on real Redis."""

from __future__ import annotations

import os

from psycopg.conninfo import conninfo_to_dict

SECRET_KEY = "netrun-tenant-cache-tests-only-" + "x" * 40
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "netrun.core",
    "netrun.errors",
    "netrun.logging",
    "netrun.rbac",
]
_params = conninfo_to_dict(os.environ["NETRUN_TC_DSN"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _params.get("dbname", ""),
        "USER": _params.get("user", ""),
        "HOST": _params.get("host", "127.0.0.1"),
        "PORT": _params.get("port", ""),
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["NETRUN_TC_REDIS"],
    }
}
MIDDLEWARE = [
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "netrun.rbac.middleware.TenantMiddleware",
]
NETRUN_RBAC_TENANT_STRATEGIES = ["header"]
# Long enough that only an invalidation (never the TTL) can explain a refusal in the test.
NETRUN_RBAC_TENANT_CACHE_TTL = 300
LOGGING_CONFIG = None
