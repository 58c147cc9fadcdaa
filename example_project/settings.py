"""Settings of the example helpdesk SaaS, read from the environment (12-factor).

With no environment at all it runs embedded: SQLite file, local-memory cache, Celery eager,
DEBUG on (``APP_ENVIRONMENT`` defaults to ``development``). With
``APP_ENVIRONMENT=production`` nothing insecure has a default: ``DJANGO_SECRET_KEY`` and
``DJANGO_ALLOWED_HOSTS`` must be set, DEBUG is off, and the HTTPS settings are on, so
``manage.py check --deploy`` is clean.

Variables: APP_ENVIRONMENT, DJANGO_DEBUG, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
DATABASE_URL, CACHE_URL, CELERY_BROKER_URL, CELERY_TASK_ALWAYS_EAGER, SECURE_HSTS_SECONDS,
SECURE_SSL_REDIRECT, SECURE_PROXY_SSL_HEADER, DJANGO_LOG_LEVEL.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

ENVIRONMENTS = ("development", "testing", "staging", "production")
APP_ENVIRONMENT = env.str("APP_ENVIRONMENT", default="development")
if APP_ENVIRONMENT not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"APP_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}; got {APP_ENVIRONMENT!r}"
    )
LOCAL = APP_ENVIRONMENT in ("development", "testing")

# DEBUG is on for local runs only, and can never default to on in staging or production.
DEBUG = env.bool("DJANGO_DEBUG", default=APP_ENVIRONMENT == "development")

if LOCAL:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY",
        default="django-insecure-local-development-only-never-use-in-production",
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
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
    "netrun.dogfood",
    "example_project.helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"

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

if "DATABASE_URL" not in env.ENVIRON:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded SQLite file lives in var/ (git-ignored)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://netrun-example")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Celery: eager (in-process) unless a broker is configured, so `make run` needs no broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = True

# HTTPS and cookies: on whenever DEBUG is off. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO so Django knows the request was secure.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
