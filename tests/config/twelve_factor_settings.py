"""A settings.py written with netrun.config.django.Env: the shape proposed for the example project.

Imported by ``test_twelve_factor.py`` under a controlled environment; never used as the test
suite's settings.
"""

from __future__ import annotations

from pathlib import Path

from netrun.config.django import Env

BASE_DIR = Path(__file__).resolve().parent
env = Env(env_file=BASE_DIR / ".env")  # absent here; real variables always win over it

APP_ENVIRONMENT = env.choice(
    "APP_ENVIRONMENT", ["development", "testing", "staging", "production"], default="development"
)
LOCAL = APP_ENVIRONMENT in ("development", "testing")
DEBUG = env.bool("DJANGO_DEBUG", default=APP_ENVIRONMENT == "development")
if LOCAL:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-local-development-only")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # required: a check error names it when unset
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

DATABASES = {"default": env.database_url("DATABASE_URL", default="sqlite:///db.sqlite3")}
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://netrun-example")}
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
CELERY_BROKER_URL = env.celery_broker_url("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
