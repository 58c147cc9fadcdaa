"""Settings that prove netrun.config and netrun.env stand alone (with their lower levels).

``pytest --ds=tests.config.standalone_settings tests/config tests/env``
"""

from __future__ import annotations

SECRET_KEY = "netrun-tests-only-not-a-secret-" + "x" * 40
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "netrun.core",
    "netrun.errors",
    "netrun.logging",
    "netrun.config",
    "netrun.env",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
