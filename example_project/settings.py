"""Settings of the example helpdesk SaaS, read from the environment (12-factor).

With no environment at all it runs embedded: SQLite file, local-memory cache, Celery eager,
DEBUG on (``APP_ENVIRONMENT`` defaults to ``development``). With
``APP_ENVIRONMENT=production`` nothing insecure has a default: ``DJANGO_SECRET_KEY`` and
``DJANGO_ALLOWED_HOSTS`` must be set, DEBUG is off, and the HTTPS settings are on, so
``manage.py check --deploy`` is clean.

Variables: APP_ENVIRONMENT, DJANGO_DEBUG, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
DATABASE_URL, DATABASE_OWNER_URL (PostgreSQL: the role that owns the tables and migrates),
DB_TENANT_SCOPE, CACHE_URL, REDIS_URL, CELERY_BROKER_URL, CELERY_TASK_ALWAYS_EAGER,
SECURE_HSTS_SECONDS, SECURE_SSL_REDIRECT, SECURE_PROXY_SSL_HEADER, EMAIL_URL, LOG_JSON,
DJANGO_LOG_LEVEL, AUTH_JWT_PRIVATE_KEY(_FILE), CORS_PRESET, CORS_ALLOWED_ORIGINS,
CSRF_TRUSTED_ORIGINS, API_RATE_USER, API_RATE_TENANT, API_RATE_LOGIN, OAUTH_<NAME>_CLIENT_ID /
_CLIENT_SECRET, OAUTH_OIDC_DISCOVERY_URL, OAUTH_TENANT_MAP, LLM_PROVIDER_CHAIN and the
provider keys (ANTHROPIC_API_KEY, OPENAI_API_KEY, ...).
"""

from __future__ import annotations

from pathlib import Path

from example_project.devkeys import development_signing_key
from netrun.config.django import Env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Bad or missing values are not raised here: netrun.config's system checks (netrun.config.E0NN)
# report every one of them by variable name when the project starts (check, migrate, runserver).
env = Env(env_file=BASE_DIR / ".env")

APP_ENVIRONMENT = env.choice(
    "APP_ENVIRONMENT", ["development", "testing", "staging", "production"], default="development"
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
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # required: no default outside local runs
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here: no CDN
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
    "netrun.logging.middleware.CorrelationIdMiddleware",
    "netrun.cors.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "netrun.auth.middleware.JWTAuthenticationMiddleware",
    # After authentication: the tenant comes from the JWT claim, X-Tenant-ID or the session.
    "netrun.rbac.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "netrun.errors.middleware.ErrorEnvelopeMiddleware",
    # After the envelope middleware: its process_exception must see Ratelimited first.
    "netrun.ratelimit.middleware.RateLimitMiddleware",
]

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "netrun.errors.drf.ContentNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "netrun.auth.drf.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Exact sliding windows in the netrun.ratelimit backend (Redis when REDIS_URL is set), so
    # every app server shares one count; a refusal is the 429 envelope with RateLimit-* headers.
    "DEFAULT_THROTTLE_CLASSES": [
        "netrun.ratelimit.drf.NetrunUserRateThrottle",
        "netrun.ratelimit.drf.NetrunTenantRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="300/m"),
        "tenant": env.str("API_RATE_TENANT", default="3000/m"),
        "login": env.str("API_RATE_LOGIN", default="10/m"),  # per IP, on /api/token/
    },
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A JSON API: form bodies would turn every value into a string the schema cannot check.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}

# The API's contract, /api/schema/ (OpenAPI 3.1) and /api/docs/ (Swagger UI), with each
# netrun piece in it: the JWT scheme, the error envelope on 4xx/5xx, 429s with RateLimit-*,
# X-Tenant-ID and X-Correlation-ID (docs/openapi.md).
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "The netrun example: a multi-tenant helpdesk with LLM summaries.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own, with what a request must satisfy (a
    # required string is not blank: minLength 1).
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would send the schema to validator.swagger.io: nothing leaves the host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "netrun.errors.contrib.spectacular.postprocess_error_responses",
        "netrun.logging.contrib.spectacular.postprocess_correlation_id",
        "netrun.ratelimit.contrib.spectacular.postprocess_rate_limits",
        "netrun.rbac.contrib.spectacular.postprocess_tenancy",
        "example_project.helpdesk.schema.add_links",
    ],
}

if "REDIS_URL" in env:
    NETRUN_RATELIMIT_BACKEND = "redis"
    NETRUN_RATELIMIT_REDIS_URL = env.str("REDIS_URL")

# JWT signing keys (RS256 PEM). In production set AUTH_JWT_PRIVATE_KEY (or
# AUTH_JWT_PRIVATE_KEY_FILE) and use a Redis CACHE_URL so revoked tokens are refused by every
# worker; unset there, the API accepts session logins only. Local runs sign with a key made
# on first use in var/ (git-ignored), so `make run` can issue tokens out of the box.
_JWT_KEY_VARIABLES = (
    "AUTH_JWT_PRIVATE_KEY",
    "AUTH_JWT_PRIVATE_KEY_FILE",
    "AUTH_JWT_PRIVATE_KEY_PATH",
)
if "AUTH_JWT_PRIVATE_KEY" in env:
    NETRUN_AUTH_JWT_PRIVATE_KEY = env.str("AUTH_JWT_PRIVATE_KEY")
elif LOCAL and not any(name in env for name in _JWT_KEY_VARIABLES):
    NETRUN_AUTH_JWT_PRIVATE_KEY_PATH = development_signing_key(VAR_DIR / "jwt-dev-key.pem")

# Roles of a tenant membership and what they grant inside that tenant only.
NETRUN_RBAC_ROLES = {
    "admin": ["helpdesk.*"],
    "agent": [
        "helpdesk.view_ticket",
        "helpdesk.add_ticket",
        "helpdesk.change_ticket",
        "helpdesk.view_comment",
        "helpdesk.add_comment",
        "helpdesk.summarize_ticket",
    ],
    "viewer": ["helpdesk.view_ticket", "helpdesk.view_comment"],
}

# CORS: a netrun.cors preset, never django-cors-headers' CORS_* settings by hand.
NETRUN_CORS_PRESET = env.choice(
    "CORS_PRESET",
    ["development", "staging", "production", "oauth", "custom"],
    default={"development": "development", "testing": "development"}.get(
        APP_ENVIRONMENT, APP_ENVIRONMENT
    ),
)
NETRUN_CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Sign-in with an identity provider, configured only for providers whose client ID is in the
# environment (with OAUTH_<NAME>_CLIENT_SECRET next to it): /oauth/<name>/login/.
NETRUN_OAUTH_PROVIDERS: dict[str, dict[str, object]] = {}
for _name, _options in (
    ("entra", {"type": "entra", "tenant": env.str("OAUTH_ENTRA_TENANT", default="organizations")}),
    ("google", {"type": "google"}),
    ("github", {"type": "github"}),
    ("oidc", {"type": "oidc", "discovery_url": env.str("OAUTH_OIDC_DISCOVERY_URL", default="")}),
):
    _prefix = f"OAUTH_{_name.upper()}_"
    if f"{_prefix}CLIENT_ID" in env:
        NETRUN_OAUTH_PROVIDERS[_name] = {
            **_options,
            "client_id": env.str(f"{_prefix}CLIENT_ID"),
            "client_secret": env.str(f"{_prefix}CLIENT_SECRET", default=""),
        }
# IdP tenant ID or verified email domain -> tenant slug, e.g. {"acme.example": "acme"}.
NETRUN_OAUTH_TENANT_MAP = env.json("OAUTH_TENANT_MAP", default={})

ROOT_URLCONF = "example_project.urls"
NETRUN_TENANT_MODEL = "netrun_rbac.Tenant"
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

if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded SQLite file lives in var/ (git-ignored)
DATABASES = {
    "default": env.database_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # runserver's threads write at once (budget ledger, telemetry): WAL lets readers run
    # beside the writer, and a writer waits up to 20 s for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
# On PostgreSQL, tickets and comments also sit behind row-level security, the second tenant
# wall under the ORM's (docs/apps/rbac.md). DATABASE_URL is then the app role (NOSUPERUSER
# NOBYPASSRLS NOINHERIT, not the tables' owner) and DATABASE_OWNER_URL the role that owns the
# tables and runs `manage.py migrate --database owner`. Without DATABASE_OWNER_URL the owner
# alias is DATABASE_URL itself: that runs, and the RLS checks (`manage.py netrun_rls_check`,
# `check --database default`, `netrun dogfood`) report it, since the app role then owns the
# tables (netrun.rbac.E109) or is a superuser (E105) and no policy applies to it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _RLS_ENGINE = "netrun.rbac.db.backends.postgresql"
    DATABASES["default"]["ENGINE"] = _RLS_ENGINE
    DATABASES["owner"] = {
        **env.database_url("DATABASE_OWNER_URL", default=env.str("DATABASE_URL")),
        "ENGINE": _RLS_ENGINE,
    }
    DATABASE_ROUTERS = ["netrun.rbac.db.router.TenantRLSRouter"]
    # The role the tenant policies are TO: the one DATABASE_URL logs in as.
    NETRUN_RBAC_RLS_APP_ROLE = DATABASES["default"].get("USER") or None
    # Behind a pooler in transaction mode (PgBouncer pool_mode=transaction, RDS Proxy,
    # Supavisor's 6543): DB_TENANT_SCOPE=transaction writes the tenant in every transaction
    # (docs/scaling.md). Server-side cursors and psycopg's prepared statements would outlive
    # the transaction on a server session another client gets next, so both are off there.
    NETRUN_RBAC_TENANT_SCOPE = env.choice(
        "DB_TENANT_SCOPE", ["session", "transaction"], default="session"
    )
    if NETRUN_RBAC_TENANT_SCOPE == "transaction":
        for _alias in ("default", "owner"):
            DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = True
            DATABASES[_alias].setdefault("OPTIONS", {})["prepare_threshold"] = None
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://netrun-example")}
# TenantMiddleware's tenant cache tells every process of a deactivation through a cache they
# all share; with the per-process default, production runs without it (netrun.rbac.W008).
if not LOCAL and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    NETRUN_RBAC_TENANT_CACHE_SIZE = 0
# Mail goes to the console locally; elsewhere to an SMTP server (Django's own default,
# localhost:25) unless EMAIL_URL names one: Django 6.1's deploy check refuses the console.
vars().update(
    env.email_url("EMAIL_URL", default="consolemail://" if LOCAL else "smtp://localhost:25")
)
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
CELERY_BROKER_URL = env.celery_broker_url("CELERY_BROKER_URL", default="memory://")
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
if "SECURE_PROXY_SSL_HEADER" in env:
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")
X_FRAME_OPTIONS = "DENY"

# Prometheus scrapes /metrics/ with this token as "Authorization: Metrics <token>" (the JWT
# middleware would read a Bearer header as a JWT); staff sessions may read it too. Outside
# development the route exists only when a token is set (urls.py): the view is closed to
# anonymous users whenever DEBUG is off.
NETRUN_LLM_METRICS_TOKEN = env.str("LLM_METRICS_TOKEN", default="")

# LLM calls: locally, the offline provider (it says so in every answer and log line) unless a
# chain is configured; system check netrun.llm.E001 refuses it whenever DEBUG is off.
if DEBUG and "LLM_PROVIDER_CHAIN" not in env:
    NETRUN_LLM_PROVIDER_CHAIN = "offline"
    NETRUN_LLM_LOCAL_PROVIDER = "offline"

# netrun.logging owns the output: console lines locally, JSON lines everywhere else, with the
# correlation, tenant and user IDs on every line and secrets redacted.
NETRUN_LOGGING_CONFIGURE = True
NETRUN_LOGGING_APP_NAME = "helpdesk"
NETRUN_LOGGING_ENVIRONMENT = APP_ENVIRONMENT
NETRUN_LOGGING_JSON = env.bool("LOG_JSON", default=not LOCAL)
NETRUN_LOGGING_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
