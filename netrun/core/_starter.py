"""``netrun init``: the settings block and the ``urls.py`` of a project, for the apps chosen.

:func:`settings_block` and :func:`urls_module` return text; getting-started shows the
default selection's text verbatim (a test keeps the two the same). :func:`write_block`
appends the settings block to a settings file, or creates one to import, and refuses a file
that already has a block. No Django: the text is built from the tables below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BLOCK_END",
    "BLOCK_START",
    "COMPONENTS",
    "DEFAULT_APPS",
    "parse_apps",
    "settings_block",
    "urls_module",
    "write_block",
]


@dataclass(frozen=True)
class Component:
    """One choice of ``--apps``: what it adds to ``INSTALLED_APPS`` and what it needs."""

    name: str
    summary: str
    extra: str | None  # the ``pip install "netrun[extra]"`` it needs, if any
    installed_apps: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


#: Every choice, in the order its apps appear in ``INSTALLED_APPS`` (netrun's by level).
COMPONENTS: tuple[Component, ...] = (
    Component("drf", "Django REST framework with netrun's error envelope", "drf",
              ("rest_framework",)),
    Component("openapi", "OpenAPI schema and Swagger UI, served from this host", "openapi",
              ("drf_spectacular", "drf_spectacular_sidecar"), requires=("drf",)),
    Component("core", "context, health endpoint, netrun_doctor", None, ("netrun.core",)),
    Component("errors", "one JSON error envelope, JSON or HTML error pages", None,
              ("netrun.errors",)),
    Component("logging", "structlog lines with correlation, tenant and user IDs", None,
              ("netrun.logging",)),
    Component("config", "typed settings from the environment, checked at start-up", None,
              ("netrun.config",)),
    Component("env", "the .env schema and the netrun-env command", None, ("netrun.env",)),
    Component("auth", "JWT issuing and verification", "auth", ("netrun.auth",)),
    Component("oauth", "OAuth2 / OIDC sign-in", "oauth", ("netrun.oauth",)),
    Component("cors", "CORS presets", "cors", ("netrun.cors",)),
    Component("ratelimit", "rate limits with RateLimit-* headers", "ratelimit",
              ("netrun.ratelimit",)),
    Component("db_pool", "PostgreSQL connection pools (DATABASES from DB_URL)", "postgres",
              ("netrun.db_pool",)),
    Component("rbac", "tenants, memberships, roles and the tenant wall", "rbac",
              ("netrun.rbac",)),
    Component("llm", "LLM providers, budgets, telemetry and the spend dashboard", "llm",
              ("netrun.llm",)),
    Component("dogfood", "netrun_dogfood: the project against netrun's contracts", None,
              ("netrun.dogfood",)),
)  # fmt: skip

_BY_NAME = {component.name: component for component in COMPONENTS}

#: The common stack: what ``netrun init`` writes without ``--apps``, and getting-started shows.
DEFAULT_APPS: tuple[str, ...] = ("drf", "core", "errors", "logging", "rbac", "llm", "dogfood")

BLOCK_START = "# --- netrun settings"
BLOCK_END = "# --- end of the netrun settings ---"

_DJANGO_APPS = (
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
)


def parse_apps(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """The chosen components, in ``COMPONENTS`` order, with ``core`` and what each requires.

    ``text`` is ``"auth,rbac,llm"`` (or names); ``None`` or ``"default"`` is the common
    stack and ``"all"`` every component.
    """
    if text is None:
        names: list[str] = ["default"]
    elif isinstance(text, str):
        names = [name.strip() for name in text.split(",") if name.strip()]
    else:
        names = [name.strip() for name in text]
    chosen: set[str] = {"core"}
    unknown = []
    for name in names:
        if name == "default":
            chosen.update(DEFAULT_APPS)
        elif name == "all":
            chosen.update(_BY_NAME)
        elif name.removeprefix("netrun.") in _BY_NAME:
            chosen.add(name.removeprefix("netrun."))
        else:
            unknown.append(name)
    valid = ", ".join([*_BY_NAME, "default", "all"])
    if not names:
        raise ValueError(f"--apps names no app; valid names: {valid}")
    if unknown:
        bad = ", ".join(repr(name) for name in unknown)
        raise ValueError(f"unknown app name(s) in --apps: {bad}; valid names: {valid}")
    for name in list(chosen):
        chosen.update(_BY_NAME[name].requires)
    return tuple(component.name for component in COMPONENTS if component.name in chosen)


def _list(name: str, items: Sequence[tuple[str, str]]) -> list[str]:
    lines = [f"{name} = ["]
    for item, comment in items:
        lines.append(f'    "{item}",' + (f"  # {comment}" if comment else ""))
    return [*lines, "]"]


def settings_block(apps: Sequence[str] = DEFAULT_APPS) -> str:
    """The settings to paste at the end of ``settings.py`` (they replace startproject's lists)."""
    chosen = set(parse_apps(apps))
    lines = [
        f"{BLOCK_START} (netrun init --apps {','.join(parse_apps(apps))}) ---",
        "# Paste at the end of settings.py: INSTALLED_APPS and MIDDLEWARE replace startproject's.",
    ]
    installed = [(app, "") for app in _DJANGO_APPS]
    for component in COMPONENTS:
        if component.name in chosen:
            installed += [(app, "") for app in component.installed_apps]
    lines += _list("INSTALLED_APPS", installed)

    middleware: list[tuple[str, str]] = []
    if "logging" in chosen:
        middleware.append(
            ("netrun.logging.middleware.CorrelationIdMiddleware", "first: every line has the ID")
        )
    if "cors" in chosen:
        middleware.append(("netrun.cors.middleware.CorsMiddleware", "before CommonMiddleware"))
    middleware += [
        ("django.middleware.security.SecurityMiddleware", ""),
        ("django.contrib.sessions.middleware.SessionMiddleware", ""),
        ("django.middleware.common.CommonMiddleware", ""),
        ("django.middleware.csrf.CsrfViewMiddleware", ""),
        ("django.contrib.auth.middleware.AuthenticationMiddleware", ""),
    ]
    if "auth" in chosen:
        middleware.append(("netrun.auth.middleware.JWTAuthenticationMiddleware", ""))
    if "rbac" in chosen:
        middleware.append(("netrun.rbac.middleware.TenantMiddleware", "after authentication"))
    middleware += [
        ("django.contrib.messages.middleware.MessageMiddleware", ""),
        ("django.middleware.clickjacking.XFrameOptionsMiddleware", ""),
    ]
    if "errors" in chosen:
        middleware.append(("netrun.errors.middleware.ErrorEnvelopeMiddleware", ""))
    if "ratelimit" in chosen:
        middleware.append(
            ("netrun.ratelimit.middleware.RateLimitMiddleware", "after the envelope middleware")
        )
    lines += ["", *_list("MIDDLEWARE", middleware)]

    if "drf" in chosen:
        lines += ["", "REST_FRAMEWORK = {"]
        if "errors" in chosen:
            lines += [
                '    "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",',
                '    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "netrun.errors.drf.ContentNegotiation",',
            ]
        lines.append('    "DEFAULT_AUTHENTICATION_CLASSES": [')
        if "auth" in chosen:
            lines.append('        "netrun.auth.drf.JWTAuthentication",')
        lines += ['        "rest_framework.authentication.SessionAuthentication",', "    ],"]
        if "openapi" in chosen:
            lines.append('    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",')
        lines.append("}")
    if "openapi" in chosen:
        hooks = ["drf_spectacular.hooks.postprocess_schema_enums"]
        if "errors" in chosen:
            hooks.append("netrun.errors.contrib.spectacular.postprocess_error_responses")
        if "logging" in chosen:
            hooks.append("netrun.logging.contrib.spectacular.postprocess_correlation_id")
        if "ratelimit" in chosen:
            hooks.append("netrun.ratelimit.contrib.spectacular.postprocess_rate_limits")
        if "rbac" in chosen:
            hooks.append("netrun.rbac.contrib.spectacular.postprocess_tenancy")
        lines += [
            "SPECTACULAR_SETTINGS = {",
            '    "TITLE": "API",',
            '    "OAS_VERSION": "3.1.0",',
            '    "SERVE_INCLUDE_SCHEMA": False,',
            '    "SWAGGER_UI_DIST": "SIDECAR",  # no CDN',
            '    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",',
            '    "REDOC_DIST": "SIDECAR",',
            '    "POSTPROCESSING_HOOKS": [',
            *[f'        "{hook}",' for hook in hooks],
            "    ],",
            "}",
        ]

    if "db_pool" in chosen:
        lines += [
            "",
            "# PostgreSQL with a connection pool, from DB_URL (and DB_MIN_SIZE, DB_MAX_SIZE, ...).",
            "from netrun.db_pool import PoolConfig  # noqa: E402",
            "from netrun.db_pool.django import database_settings  # noqa: E402",
            "",
            'DATABASES = {"default": database_settings(PoolConfig())}',
        ]
    if "rbac" in chosen:
        lines += [
            "",
            "# Tenancy: netrun's tenant model; NETRUN_RBAC_ROLES maps roles to permissions.",
            'NETRUN_TENANT_MODEL = "netrun_rbac.Tenant"',
        ]
    if "auth" in chosen:
        lines += [
            "",
            "# JWT keys: AUTH_JWT_PRIVATE_KEY (an RS256 PEM) in the environment, or:",
            '# NETRUN_AUTH_JWT_PRIVATE_KEY_PATH = BASE_DIR / "jwt-private-key.pem"',
        ]
    if "cors" in chosen:
        lines += [
            "",
            "# CORS: a preset (development, staging, production, oauth, custom) and your origins.",
            'NETRUN_CORS_PRESET = "development"',
            "NETRUN_CORS_ALLOWED_ORIGINS: list[str] = []",
        ]
    if "llm" in chosen:
        lines += [
            "",
            "# LLM calls: the offline provider until you name a chain and its keys",
            '# (e.g. "claude,openai" with ANTHROPIC_API_KEY, OPENAI_API_KEY); docs/apps/llm.md.',
            'NETRUN_LLM_PROVIDER_CHAIN = "offline"',
            'NETRUN_LLM_LOCAL_PROVIDER = "offline"',
        ]
    if "logging" in chosen:
        lines += [
            "",
            "# netrun.logging owns the output (Django's lines too, printed once): console",
            "# lines here, JSON lines with NETRUN_LOGGING_JSON = True.",
            "NETRUN_LOGGING_CONFIGURE = True",
            "NETRUN_LOGGING_JSON = False",
        ]
    lines.append(BLOCK_END)
    return "\n".join(lines) + "\n"


def urls_module(apps: Sequence[str] = DEFAULT_APPS) -> str:
    """A root ``urls.py`` for the chosen apps (startproject's, with netrun's routes)."""
    chosen = set(parse_apps(apps))
    imports = ["from django.contrib import admin"]
    imports.append(
        "from django.urls import include, path"
        if {"auth", "oauth"} & chosen
        else "from django.urls import path"
    )
    if "openapi" in chosen:
        imports.append(
            "from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView"
        )
    imports += ["", "from netrun.core.views import health"]
    lines = ['"""URL configuration, with netrun\'s routes (netrun init)."""', "", *imports, ""]
    if "errors" in chosen:
        lines += [
            "# Error pages: the JSON envelope for API clients, HTML for browsers.",
            *[f'handler{code} = "netrun.errors.views.handler{code}"' for code in (400, 403, 404, 500)],
            "",
        ]  # fmt: skip
    lines += ["urlpatterns = [", '    path("health/", health, name="health"),']
    if "llm" in chosen:
        # netrun.llm's admin serves the dashboard under admin/: nothing of its own to route.
        lines.append(
            "    # The admin, with netrun.llm's spend dashboard at admin/netrun_llm/dashboard/."
        )
    lines.append('    path("admin/", admin.site.urls),')
    if "openapi" in chosen:
        lines += [
            '    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),',
            '    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),',
        ]  # fmt: skip
    if "oauth" in chosen:
        lines.append('    path("oauth/", include("netrun.oauth.urls")),')
    if "auth" in chosen:
        lines.append('    path("", include("netrun.auth.urls")),  # /.well-known/jwks.json')
    lines.append("]")
    return "\n".join(lines) + "\n"


def write_block(target: Path, apps: Sequence[str] = DEFAULT_APPS) -> bool:
    """Append the settings block to ``target``, or create it; True when it was created.

    Raises :class:`FileExistsError` when ``target`` already holds a netrun settings block
    (nothing is overwritten or written twice), :class:`FileNotFoundError` when its folder
    does not exist.
    """
    block = settings_block(apps)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.exists():
        text = target.read_text(encoding="utf-8")
        if BLOCK_START in text:
            raise FileExistsError(
                f"{target} already has a netrun settings block; edit it, or remove it "
                "(from its '# --- netrun settings' line to its end line) and run again."
            )
        separator = "" if not text else "\n" if text.endswith("\n") else "\n\n"
        with target.open("a", encoding="utf-8") as file:
            file.write(separator + block)
        return False
    target.write_text(block, encoding="utf-8")
    return True
