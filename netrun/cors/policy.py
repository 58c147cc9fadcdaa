"""The CORS policy core: what a configuration means, what is wrong with it, and decisions.

::

    spec = PolicySpec(preset="production", environment="production",
                      origins=("https://app.example.com",))
    policy = build_policy(spec)            # raises CORSValidationError on an error problem
    policy.decide("https://app.example.com")          # Decision(allowed=True, reason="listed")
    policy.decide("https://app.example.com.evil.io")  # Decision(allowed=False, ...)

:func:`compile_policy` never raises: it drops every entry it refuses and returns the problems
next to the policy, so the Django middleware can fail closed while the system checks report
them. :func:`build_policy` is the strict form for code that has no system checks (FastAPI).

The rules, enforced here once for Django and FastAPI alike:

* origin regexes always match the *whole* origin (``fullmatch``), whatever their anchors;
* request origins must be canonical (see :mod:`netrun.cors.origins`), so userinfo, trailing
  dots, uppercase, explicit default ports and paths never reach a comparison;
* ``null`` is allowed only when listed, in the development preset and environment;
* a wildcard never goes with credentials;
* ``http://`` origins are refused in production (the preset or ``APP_ENVIRONMENT``), from
  every source: the list, a regex, a wildcard, a per-view policy or a signal receiver.

Framework-neutral: no Django, Starlette or FastAPI import.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netrun.config import Source
from netrun.cors.origins import (
    NULL_ORIGIN,
    OriginError,
    is_loopback,
    normalize_origin,
    parse_request_origin,
)
from netrun.cors.presets import PRESET_NAMES, PRESETS
from netrun.errors import CORSValidationError

if TYPE_CHECKING:
    from netrun.cors.conf import CORSConfig

__all__ = [
    "CorsPolicy",
    "Decision",
    "PolicyOverride",
    "PolicySpec",
    "Problem",
    "build_policy",
    "compile_policy",
    "csrf_trusted_origins",
]

# Origins no sane regex should match: a regex that does allows arbitrary sites.
_PROBES = (
    "https://netrun-cors-probe.invalid",
    "http://netrun-cors-probe.invalid",
    "https://netrun-cors-probe.invalid:8443",
)
# An unescaped "." between word characters (meant as a literal dot), and a ".*"/".+" glued
# to a domain name ("https://.*example\.com" lets "https://evilexample.com" in).
_LITERAL_DOT = re.compile(r"(?<![\\\[])\.(?=[A-Za-z0-9])(?![^\[]*\])")
_GLUED_WILDCARD = re.compile(r"(?<!\\)\.[*+](?=[A-Za-z0-9])")

_DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "testing"})
_ENVIRONMENT_PRESETS = {"staging": "staging", "production": "production"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy. ``code`` is the system check suffix (``"E003"``)."""

    code: str
    message: str
    hint: str = ""
    subject: str | None = None

    @property
    def is_error(self) -> bool:
        return self.code.startswith("E")


@dataclass(frozen=True)
class PolicySpec:
    """A CORS policy as configured, before validation. ``None`` means "the preset decides"."""

    preset: str = "development"
    environment: str = "development"
    origins: tuple[str, ...] = ()
    origin_regexes: tuple[str, ...] = ()
    allow_all_origins: bool = False
    allow_credentials: bool | None = None
    allow_methods: tuple[str, ...] | None = None
    allow_headers: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] | None = None
    max_age: int = 3600
    urls_regex: str = r"^.*$"
    enabled: bool = True

    @classmethod
    def from_config(cls, config: CORSConfig) -> PolicySpec:
        def optional(value: Iterable[str] | None) -> tuple[str, ...] | None:
            return None if value is None else tuple(value)

        preset: str = config.preset
        if config.value_sources()["preset"].source is Source.DEFAULT:
            # No preset chosen: the environment picks it (the seeds' "environment-based
            # presets"), so a production deploy is strict without another variable.
            preset = _ENVIRONMENT_PRESETS.get(config.app_environment, preset)
        return cls(
            preset=preset,
            environment=config.app_environment,
            origins=tuple(config.allowed_origins),
            origin_regexes=tuple(config.allowed_origin_regexes),
            allow_all_origins=config.allow_all_origins,
            allow_credentials=config.allow_credentials,
            allow_methods=optional(config.allow_methods),
            allow_headers=optional(config.allow_headers),
            expose_headers=optional(config.expose_headers),
            max_age=config.max_age,
            urls_regex=config.urls_regex,
        )

    def merged(self, override: PolicyOverride) -> PolicySpec:
        """This spec with every field the override sets replaced."""
        changes = {
            name: value for name, value in dataclasses.asdict(override).items() if value is not None
        }
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class PolicyOverride:
    """What a per-view policy changes; ``None`` fields inherit the project's policy.

    Hashable (tuples only), so derived policies can be cached per override.
    """

    preset: str | None = None
    origins: tuple[str, ...] | None = None
    origin_regexes: tuple[str, ...] | None = None
    allow_all_origins: bool | None = None
    allow_credentials: bool | None = None
    allow_methods: tuple[str, ...] | None = None
    allow_headers: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] | None = None
    max_age: int | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class Decision:
    """The answer for one ``Origin`` header.

    ``reason`` is ``listed``, ``regex``, ``wildcard``, ``null_listed`` or ``signal`` when
    allowed; ``malformed_origin``, ``null_origin``, ``insecure_scheme`` or ``not_allowed``
    when blocked. ``origin`` is the canonical origin (``None`` when malformed); ``detail``
    says what was malformed.
    """

    allowed: bool
    reason: str
    origin: str | None
    detail: str | None = None


@dataclass(frozen=True)
class CorsPolicy:
    """A validated policy. Build it with :func:`compile_policy` or :func:`build_policy`."""

    preset: str
    environment: str
    origins: frozenset[str]
    origin_regexes: tuple[re.Pattern[str], ...]
    allow_all_origins: bool
    allow_null: bool
    allow_credentials: bool
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int
    urls_regex: re.Pattern[str]
    require_https: bool
    enabled: bool = True
    listed: tuple[str, ...] = field(default=(), compare=False)

    def applies_to(self, path: str) -> bool:
        """Whether CORS is on for ``path`` (``re.match``: a prefix test, as in corsheaders)."""
        return self.enabled and self.urls_regex.match(path) is not None

    def decide(self, origin: str) -> Decision:
        try:
            canonical = parse_request_origin(origin)
        except OriginError as error:
            return Decision(False, "malformed_origin", None, error.reason)
        if canonical == NULL_ORIGIN:
            if self.allow_null:
                return Decision(True, "null_listed", canonical)
            return Decision(False, "null_origin", canonical)
        if self.require_https and canonical.startswith("http://"):
            return Decision(False, "insecure_scheme", canonical)
        if canonical in self.origins:
            return Decision(True, "listed", canonical)
        if any(pattern.fullmatch(canonical) for pattern in self.origin_regexes):
            return Decision(True, "regex", canonical)
        if self.allow_all_origins:
            return Decision(True, "wildcard", canonical)
        return Decision(False, "not_allowed", canonical)

    def allow_by_signal(self, decision: Decision) -> Decision:
        """Allow an origin a receiver vouched for, if no hard rule had refused it already."""
        if decision.reason != "not_allowed":
            return decision
        return Decision(True, "signal", decision.origin)

    def response_headers(self, decision: Decision, *, preflight: bool) -> dict[str, str]:
        """The ``Access-Control-*`` headers for an allowed decision (empty when blocked)."""
        if not decision.allowed or decision.origin is None:
            return {}
        headers: dict[str, str] = {}
        if decision.reason == "wildcard" and not self.allow_credentials:
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            headers["Access-Control-Allow-Origin"] = decision.origin
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        if preflight:
            headers["Access-Control-Allow-Methods"] = ", ".join(self.allow_methods)
            headers["Access-Control-Allow-Headers"] = ", ".join(self.allow_headers)
            if self.max_age:
                headers["Access-Control-Max-Age"] = str(self.max_age)
        elif self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)
        return headers


def _regex_problems(source: str) -> tuple[re.Pattern[str] | None, list[Problem]]:
    try:
        pattern = re.compile(source)
    except re.error as error:
        return None, [
            Problem(
                "E002",
                f"The origin regex {source!r} does not compile: {error}.",
                "Fix the pattern; remember to escape dots (\\.).",
                source,
            )
        ]
    for probe in _PROBES:
        if pattern.fullmatch(probe):
            return None, [
                Problem(
                    "E006",
                    f"The origin regex {source!r} matches arbitrary origins ({probe!r}).",
                    "Name the allowed domain in the pattern, e.g. https://[a-z0-9-]+\\.example\\.com.",
                    source,
                )
            ]
    problems: list[Problem] = []
    if _LITERAL_DOT.search(source) or _GLUED_WILDCARD.search(source):
        problems.append(
            Problem(
                "W002",
                f"The origin regex {source!r} lets look-alike domains match: an unescaped '.' "
                "matches any character, and '.*' glued to a name matches any prefix.",
                "Escape literal dots (\\.) and end wildcards at a dot: (?:[a-z0-9-]+\\.)*example\\.com.",
                source,
            )
        )
    return pattern, problems


def compile_policy(spec: PolicySpec) -> tuple[CorsPolicy, list[Problem]]:
    """Validate ``spec``; return the policy without the refused entries, and the problems."""
    problems: list[Problem] = []
    preset_name = spec.preset.lower()
    environment = spec.environment.lower()
    if preset_name not in PRESET_NAMES:
        raise CORSValidationError(
            f"Unknown CORS preset {spec.preset!r}; choose one of {', '.join(PRESET_NAMES)}.",
            {"preset": spec.preset},
        )
    production = preset_name == "production" or environment == "production"
    development = preset_name == "development" and environment in _DEVELOPMENT_ENVIRONMENTS
    preset = PRESETS[preset_name]
    if preset_name == "development" and environment in ("production", "staging"):
        problems.append(
            Problem(
                "E008",
                f"The development CORS preset is selected while APP_ENVIRONMENT={environment}.",
                "Set NETRUN_CORS_PRESET (or CORS_PRESET) to staging, production, oauth or custom.",
            )
        )
        # Without its loopback origins: a dev server is not a production client.
        preset = dataclasses.replace(preset, origin_regexes=())

    credentials = (
        preset.allow_credentials if spec.allow_credentials is None else spec.allow_credentials
    )
    wildcard = spec.allow_all_origins
    origins: list[str] = []
    allow_null = False
    for entry in spec.origins:
        if entry.strip() == "*":
            wildcard = True
            continue
        try:
            origin = normalize_origin(entry)
        except OriginError as error:
            problems.append(
                Problem(
                    "E001",
                    f"{entry!r} is not an origin ({error.reason}): {error}.",
                    "Write scheme://host[:port] with nothing after it, e.g. https://app.example.com.",
                    entry,
                )
            )
            continue
        if origin == NULL_ORIGIN:
            if development:
                allow_null = True
            else:
                problems.append(
                    Problem(
                        "E004",
                        "The 'null' origin is allowed outside development. Sandboxed iframes, "
                        "file:// pages and redirects all send 'null', so any site can use it.",
                        "Remove 'null' from the allowed origins.",
                        entry,
                    )
                )
            continue
        if origin.startswith("http://"):
            if production:
                problems.append(
                    Problem(
                        "E005",
                        f"The origin {origin!r} uses http:// in production; anyone on the "
                        "network path can inject script into it and act with its access.",
                        "Serve the front end over HTTPS and list its https:// origin.",
                        entry,
                    )
                )
                continue
            staging = environment == "staging" or preset_name == "staging"
            if staging and not is_loopback(origin):
                problems.append(
                    Problem(
                        "W001",
                        f"The origin {origin!r} uses http:// in staging; production will "
                        "refuse it.",
                        "Use the https:// origin, as production must.",
                        entry,
                    )
                )
        origins.append(origin)

    patterns: list[re.Pattern[str]] = []
    for source in (*preset.origin_regexes, *spec.origin_regexes):
        pattern, regex_problems = _regex_problems(source)
        problems.extend(regex_problems)
        if pattern is not None:
            patterns.append(pattern)

    if wildcard and credentials:
        problems.append(
            Problem(
                "E003",
                "A wildcard origin is combined with credentials: every site on the web could "
                "make requests with your users' cookies and read the answers.",
                "List the origins, or turn credentials off (NETRUN_CORS_ALLOW_CREDENTIALS=False).",
            )
        )
        wildcard = False
    if wildcard and (production or preset_name == "oauth"):
        problems.append(
            Problem(
                "E007",
                f"A wildcard origin is used with the {preset_name} preset in the "
                f"{environment} environment.",
                "List the origins; a deliberately public API can use the custom preset.",
            )
        )
        wildcard = False

    try:
        urls_regex = re.compile(spec.urls_regex)
    except re.error as error:
        problems.append(
            Problem(
                "E009",
                f"NETRUN_CORS_URLS_REGEX {spec.urls_regex!r} does not compile: {error}.",
                "Fix the pattern, e.g. ^/api/.",
                spec.urls_regex,
            )
        )
        # Fail closed: no path gets CORS headers.
        urls_regex = re.compile(r"(?!)")

    methods = spec.allow_methods if spec.allow_methods is not None else preset.allow_methods
    headers = spec.allow_headers if spec.allow_headers is not None else preset.allow_headers
    expose = spec.expose_headers if spec.expose_headers is not None else preset.expose_headers
    policy = CorsPolicy(
        preset=preset_name,
        environment=environment,
        origins=frozenset(origins),
        origin_regexes=tuple(patterns),
        allow_all_origins=wildcard,
        allow_null=allow_null,
        allow_credentials=credentials,
        allow_methods=tuple(dict.fromkeys(method.upper() for method in methods)),
        allow_headers=tuple(dict.fromkeys(header.lower() for header in headers)),
        expose_headers=tuple(dict.fromkeys(header.lower() for header in expose)),
        max_age=spec.max_age,
        urls_regex=urls_regex,
        require_https=production,
        enabled=spec.enabled,
        listed=tuple(dict.fromkeys(origins)),
    )
    # A disabled policy answers nobody, so nothing in it can be unsafe.
    return policy, problems if spec.enabled else []


def build_policy(spec: PolicySpec | CORSConfig | None = None) -> CorsPolicy:
    """The policy of ``spec`` (default: the project's ``CORSConfig``), refusing any error.

    Raises :class:`netrun.errors.CORSValidationError` whose ``details["problems"]`` lists
    every error with its check id; warnings do not raise.
    """
    policy, problems = compile_policy(_as_spec(spec))
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        raise CORSValidationError(
            "The CORS configuration is refused: "
            + " ".join(f"[netrun.cors.{p.code}] {p.message}" for p in errors),
            {"problems": [_problem_details(problem) for problem in errors]},
        )
    return policy


def csrf_trusted_origins(spec: PolicySpec | CORSConfig | None = None) -> list[str]:
    """The listed CORS origins, for ``CSRF_TRUSTED_ORIGINS`` in ``settings.py``.

    Django's CSRF check refuses unsafe cross-origin requests whose ``Origin`` it does not
    trust, so a credentialed CORS client needs both. Regexes have no CSRF equivalent and are
    left out. Without an argument a *fresh* ``CORSConfig`` is read (environment and ``.env``;
    Django settings are not configured yet while ``settings.py`` runs).
    """
    if spec is None:
        from netrun.cors.conf import CORSConfig

        spec = CORSConfig()
    policy, _ = compile_policy(_as_spec(spec))
    return list(policy.listed)


def _as_spec(spec: PolicySpec | CORSConfig | None) -> PolicySpec:
    if isinstance(spec, PolicySpec):
        return spec
    if spec is None:
        from netrun.config import get_settings
        from netrun.cors.conf import CORSConfig

        spec = get_settings(CORSConfig)
    return PolicySpec.from_config(spec)


def _problem_details(problem: Problem) -> Mapping[str, Any]:
    return {"id": f"netrun.cors.{problem.code}", "message": problem.message, "hint": problem.hint}
