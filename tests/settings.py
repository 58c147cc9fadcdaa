"""Django settings for the test suite: every Netrun app installed, embedded defaults.

PostgreSQL and Redis tests get their servers through the fixtures in ``tests/conftest.py``,
not through these settings, so the default run needs nothing but Python.
"""

from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "netrun-tests-only-not-a-secret-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1", ".example.com"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

NETRUN_APPS = [
    "netrun.core",
    "netrun.errors",
    "netrun.logging",
    "netrun.config",
    "netrun.env",
    "netrun.auth",
    "netrun.oauth",
    "netrun.cors",
    "netrun.ratelimit",
    "netrun.db_pool",
    "netrun.rbac",
    "netrun.llm",
    "netrun.pytest_fixtures",
    "netrun.dogfood",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "guardian",
    *NETRUN_APPS,
    "tests.rbac.testapp",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

# Tenancy: the default tenant model, roles for the rbac test app, subdomain resolution.
NETRUN_TENANT_MODEL = "netrun_rbac.Tenant"
NETRUN_RBAC_ROLES = {
    "admin": ["*"],
    "agent": ["testapp.view_ticket", "testapp.change_ticket", "testapp.add_comment"],
    "member": ["testapp.view_ticket"],
}
NETRUN_RBAC_SUBDOMAIN_BASE = "example.com"

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "netrun.errors.drf.ContentNegotiation",
}

MIDDLEWARE = [
    "netrun.logging.middleware.CorrelationIdMiddleware",
    "netrun.cors.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "netrun.errors.middleware.ErrorEnvelopeMiddleware",
    "netrun.rbac.middleware.TenantMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_URL = "/static/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
