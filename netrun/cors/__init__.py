"""Netrun CORS: safe CORS presets on django-cors-headers, and the same policy for FastAPI.

Level 3. Pick a preset, list the origins, and never write ``CORS_*`` by hand::

    # settings.py
    import netrun.cors

    NETRUN_CORS_PRESET = "production"
    NETRUN_CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    NETRUN_CORS_ALLOW_CREDENTIALS = True
    CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]   # or netrun.cors.csrf_trusted_origins()
    MIDDLEWARE = ["netrun.cors.middleware.CorsMiddleware", ...]

The same settings come from ``CORS_PRESET``, ``CORS_ALLOWED_ORIGINS``, ... environment
variables. Per-view policies: :func:`cors_policy`. FastAPI:
``netrun.cors.contrib.fastapi.add_cors(app, config)``, or the seeds' ASGI middleware
``app.add_middleware(netrun.cors.CORSMiddleware, config=...)`` (:mod:`netrun.cors.asgi`).

This module imports without Django installed or configured; the policy core
(:mod:`netrun.cors.policy`, :mod:`netrun.cors.origins`, :mod:`netrun.cors.presets`) never
imports a web framework. The Django glue is referenced by dotted path:
``netrun.cors.middleware.CorsMiddleware`` and the checks in ``netrun.cors.checks``.
"""

from __future__ import annotations

from netrun.cors._sampling import DecisionLogger
from netrun.cors.asgi import CORSMiddleware
from netrun.cors.conf import CORSConfig
from netrun.cors.decorators import cors_policy
from netrun.cors.origins import (
    NULL_ORIGIN,
    OriginError,
    normalize_origin,
    parse_request_origin,
    safe_for_log,
)
from netrun.cors.policy import (
    CorsPolicy,
    Decision,
    PolicyOverride,
    PolicySpec,
    Problem,
    build_policy,
    compile_policy,
    csrf_trusted_origins,
)
from netrun.cors.presets import (
    DEFAULT_ALLOW_HEADERS,
    DEFAULT_ALLOW_METHODS,
    DEFAULT_EXPOSE_HEADERS,
    PRESET_NAMES,
    PRESETS,
    PresetDefaults,
)

__all__ = [
    "DEFAULT_ALLOW_HEADERS",
    "DEFAULT_ALLOW_METHODS",
    "DEFAULT_EXPOSE_HEADERS",
    "NULL_ORIGIN",
    "PRESETS",
    "PRESET_NAMES",
    "CORSConfig",
    "CORSMiddleware",
    "CorsPolicy",
    "Decision",
    "DecisionLogger",
    "OriginError",
    "PolicyOverride",
    "PolicySpec",
    "PresetDefaults",
    "Problem",
    "build_policy",
    "compile_policy",
    "cors_policy",
    "csrf_trusted_origins",
    "normalize_origin",
    "parse_request_origin",
    "safe_for_log",
]
