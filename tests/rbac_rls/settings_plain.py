"""Django's own PostgreSQL backend (not netrun's) with netrun's apps: no row-level security."""

from __future__ import annotations

import os

from psycopg.conninfo import conninfo_to_dict

SECRET_KEY = "netrun-rls-tests-only-" + "x" * 40
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "netrun.core",
    "netrun.errors",
    "netrun.logging",
    "netrun.rbac",
    "netrun.llm",
]
_params = conninfo_to_dict(os.environ["NETRUN_RLS_PLAIN_DSN"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _params.get("dbname", ""),
        "USER": _params.get("user", ""),
        "HOST": _params.get("host", "127.0.0.1"),
        "PORT": _params.get("port", ""),
    }
}
