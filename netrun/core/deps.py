"""Soft-dependency detection: which optional packages are importable, and what they enable.

Netrun's packages integrate with optional libraries (the seeds' "soft dependencies"): a
feature lights up when its library is installed, and nothing breaks when it is not. Code asks
:func:`is_available` (or :func:`require`, which raises an error naming the extra to install)
instead of wrapping imports in ``try``/``except ImportError`` by hand, and the integration
matrix below is data that the docs and ``netrun doctor`` read.

Detection uses :func:`importlib.util.find_spec`, so asking never imports the package.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass

from netrun.core.registry import APP_EXTRAS

__all__ = [
    "INTEGRATION_MATRIX",
    "MissingDependencyError",
    "SoftDependency",
    "distribution_version",
    "extra_for",
    "integration_report",
    "is_available",
    "require",
]


@dataclass(frozen=True)
class SoftDependency:
    """One row of the integration matrix: ``package`` gains ``feature`` when ``module`` imports."""

    package: str
    dependency: str
    module: str
    feature: str
    extra: str | None = None
    #: The distribution that installs ``module`` when its name differs from ``dependency``
    #: (the seeds call pycasbin "casbin").
    distribution: str | None = None


#: The seeds' soft-dependency matrix (release notes v2.0.0), then the Django-ecosystem rows
#: this suite adds. ``dependency`` is the distribution name users know, ``module`` what is
#: imported, ``extra`` the ``pip install "netrun[extra]"`` that brings it in.
INTEGRATION_MATRIX: tuple[SoftDependency, ...] = (
    SoftDependency("netrun.auth", "netrun-logging", "netrun.logging", "Structured auth event logging"),
    SoftDependency("netrun.auth", "casbin", "casbin", "Advanced RBAC policies", "casbin", "pycasbin"),
    SoftDependency("netrun.config", "netrun-errors", "netrun.errors", "Standardized config exceptions"),
    SoftDependency("netrun.config", "netrun-logging", "netrun.logging", "Config change logging"),
    SoftDependency("netrun.config", "azure-identity", "azure.identity", "Azure Key Vault integration", "azure"),
    SoftDependency("netrun.errors", "netrun-logging", "netrun.logging", "Correlation ID in error responses"),
    SoftDependency("netrun.llm", "netrun-logging", "netrun.logging", "LLM request/response logging"),
    SoftDependency("netrun.llm", "openai", "openai", "OpenAI provider support", "openai"),
    SoftDependency("netrun.llm", "anthropic", "anthropic", "Anthropic provider support", "anthropic"),
    SoftDependency("netrun.llm", "google-genai", "google.genai", "Gemini provider support", "gemini"),
    SoftDependency("netrun.rbac", "netrun-logging", "netrun.logging", "RBAC decision logging"),
    SoftDependency("netrun.rbac", "casbin", "casbin", "Policy-based access control", "casbin", "pycasbin"),
    SoftDependency("netrun.db_pool", "netrun-logging", "netrun.logging", "Connection pool metrics"),
    # The Django-ecosystem integrations.
    SoftDependency("netrun.errors", "djangorestframework", "rest_framework", "DRF exception handler", "drf"),
    SoftDependency("netrun.errors", "fastapi", "fastapi", "FastAPI exception handlers", "fastapi"),
    SoftDependency("netrun.logging", "celery", "celery", "Context propagation into Celery tasks", "celery"),
    SoftDependency("netrun.auth", "pyjwt", "jwt", "JWT issuing and verification", "auth"),
    SoftDependency("netrun.auth", "djangorestframework-simplejwt", "rest_framework_simplejwt", "simplejwt views and blacklist with netrun keys", "auth"),
    SoftDependency("netrun.auth", "drf-spectacular", "drf_spectacular", "OpenAPI security scheme, error envelope, 429 and tenant headers in the schema", "openapi"),
    SoftDependency("netrun.oauth", "authlib", "authlib", "OAuth2 / OIDC login and service clients", "oauth"),
    SoftDependency("netrun.cors", "django-cors-headers", "corsheaders", "CORS presets", "cors"),
    SoftDependency("netrun.cors", "fastapi", "fastapi", "CORS presets for FastAPI (add_cors)", "fastapi"),
    SoftDependency("netrun.ratelimit", "django-ratelimit", "django_ratelimit", "django-ratelimit interoperability", "ratelimit"),
    SoftDependency("netrun.ratelimit", "redis", "redis", "Shared rate limits in Redis", "redis"),
    SoftDependency("netrun.rbac", "django-guardian", "guardian", "Object permissions", "rbac"),
    SoftDependency("netrun.db_pool", "psycopg", "psycopg", "PostgreSQL pools and row-level security", "postgres"),
    SoftDependency("netrun.db_pool", "psycopg-pool", "psycopg_pool", "Tenant-aware connection pools", "postgres"),
    SoftDependency("netrun.db_pool", "prometheus-client", "prometheus_client", "Pool metrics for Prometheus", "prometheus"),
    SoftDependency("netrun.llm", "httpx", "httpx", "Ollama provider (HTTP API)", "llm"),
    SoftDependency("netrun.llm", "prometheus-client", "prometheus_client", "Prometheus metrics endpoint", "prometheus"),
    SoftDependency("netrun.llm", "opentelemetry-api", "opentelemetry", "OpenTelemetry export and trace propagation", "otel"),
    SoftDependency("netrun.llm", "azure-monitor-opentelemetry-exporter", "azure.monitor.opentelemetry.exporter", "Azure Monitor export", "azure"),
    SoftDependency("netrun.llm", "genai-prices", "genai_prices", "Price drift report (netrun llm price-drift)", "prices"),
)  # fmt: skip


class MissingDependencyError(ImportError):
    """An optional dependency a feature needs is not installed.

    The message names the feature and the ``pip install`` command that fixes it.
    """

    def __init__(self, module: str, feature: str, extra: str | None = None) -> None:
        hint = f'pip install "netrun[{extra}]"' if extra else f"pip install {module}"
        super().__init__(f"{feature} needs the optional dependency {module!r}: {hint}")
        self.module = module
        self.feature = feature
        self.extra = extra


def is_available(module: str) -> bool:
    """True when ``module`` (a dotted import name such as ``"azure.identity"``) is importable.

    Never imports the module itself (parents of a dotted name are imported, as
    :func:`importlib.util.find_spec` must). The answer is not cached, so installing a
    package at run time is seen.
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        # A missing parent package raises ModuleNotFoundError; a module whose __spec__ was
        # removed raises ValueError. Either way it cannot be imported.
        return False


def require(module: str, *, feature: str, extra: str | None = None) -> None:
    """Raise :class:`MissingDependencyError` unless ``module`` is importable."""
    if not is_available(module):
        raise MissingDependencyError(module, feature, extra)


#: The extra that brings in every dependency of a package's modules (the pytest plugin's
#: factory-boy and pytest have no row of their own in the matrix).
_PACKAGE_EXTRAS: dict[str, str] = {"netrun.pytest_fixtures": "pytest"}


def extra_for(module: str, *, package: str | None = None) -> str | None:
    """The extra that installs ``module`` (its top-level name counts), or ``None``.

    ``package`` (``"netrun.oauth"``) picks the extra of that package when several install
    the module: httpx comes with ``oauth`` for netrun.oauth and with ``llm`` for netrun.llm.
    """
    if package in APP_EXTRAS:
        return APP_EXTRAS[package]
    top = module.split(".")[0]
    rows = [dep for dep in INTEGRATION_MATRIX if dep.extra and dep.module.split(".")[0] == top]
    own = [dep for dep in rows if dep.package == package] or rows
    if own:
        return own[0].extra
    return _PACKAGE_EXTRAS.get(package or "")


def distribution_version(distribution: str) -> str | None:
    """The installed version of a distribution, or ``None`` when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def integration_report() -> list[dict[str, object]]:
    """The integration matrix with what this environment has, one dict per row."""
    rows: list[dict[str, object]] = []
    for dep in INTEGRATION_MATRIX:
        available = is_available(dep.module)
        rows.append(
            {
                "package": dep.package,
                "dependency": dep.dependency,
                "module": dep.module,
                "feature": dep.feature,
                "extra": dep.extra,
                "available": available,
                "version": _version_of(dep) if available else None,
            }
        )
    return rows


def _version_of(dep: SoftDependency) -> str | None:
    if dep.module.startswith("netrun."):
        return distribution_version("netrun")
    return distribution_version(dep.distribution or dep.dependency)
