"""Settings of the alias processes: real PostgreSQL, the generation on real Redis."""

from __future__ import annotations

import os

from psycopg.conninfo import conninfo_to_dict

SECRET_KEY = "netrun-alias-tests-only-" + "x" * 40
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "netrun.core",
    "netrun.errors",
    "netrun.logging",
    "netrun.llm",
]
_params = conninfo_to_dict(os.environ["NETRUN_ALIAS_DSN"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _params.get("dbname", ""),
        "USER": _params.get("user", ""),
        "PASSWORD": _params.get("password", ""),
        "HOST": _params.get("host", "127.0.0.1"),
        "PORT": _params.get("port", ""),
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["NETRUN_ALIAS_REDIS"],
    }
}
NETRUN_LLM_PROVIDER_CHAIN = "openai,anthropic"
NETRUN_LLM_MODEL_ALIASES = {"fast": ["gpt-4.1-mini"], "smart": "openai/gpt-4.1"}
LOGGING_CONFIG = None
