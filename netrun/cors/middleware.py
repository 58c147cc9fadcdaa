"""``CorsMiddleware``: django-cors-headers' middleware, configured by the netrun preset.

Put it where corsheaders' middleware would go, as high as possible and before
``CommonMiddleware``::

    MIDDLEWARE = [
        "netrun.logging.middleware.CorrelationIdMiddleware",
        "netrun.cors.middleware.CorsMiddleware",
        "django.middleware.common.CommonMiddleware",
        ...
    ]

It is a subclass of ``corsheaders.middleware.CorsMiddleware``: the sync/async dispatch, the
preflight short-circuit and the ``corsheaders.signals.check_request_enabled`` signal are
corsheaders' own. What changes is where the configuration comes from (``CORSConfig``: the
preset and ``NETRUN_CORS_*``, never ``CORS_*``), the stricter origin decision of
:mod:`netrun.cors.policy`, per-view policies and the sampled decision log.

The policy is built once per settings object, not per request, and rebuilt when
``reload_settings()`` or ``override_settings`` replace it. An invalid configuration fails
closed: refused entries are dropped (the system checks name them), and settings that do not
validate at all turn CORS off rather than answering 500.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from corsheaders.middleware import CorsMiddleware as CorsHeadersMiddleware
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from netrun.config import get_settings
from netrun.cors._sampling import DecisionLogger
from netrun.cors.conf import CORSConfig
from netrun.cors.decorators import view_override, view_policy_count
from netrun.cors.origins import safe_for_log
from netrun.cors.policy import CorsPolicy, PolicyOverride, PolicySpec, Problem, compile_policy
from netrun.errors import NetrunException
from netrun.logging import get_logger

__all__ = ["CorsMiddleware"]

logger = get_logger(__name__)

_UNSET = object()
_REQUEST_ATTRIBUTE = "_netrun_cors_policy"


@dataclass
class _State:
    """Everything built from one settings object."""

    config: CORSConfig
    spec: PolicySpec
    policy: CorsPolicy
    decisions: DecisionLogger
    derived: dict[PolicyOverride, CorsPolicy] = field(default_factory=dict)

    @classmethod
    def build(cls, config: CORSConfig) -> _State:
        spec = PolicySpec.from_config(config)
        policy, problems = compile_policy(spec)
        _report(problems, view=None)
        decisions = DecisionLogger(interval=config.log_interval, burst=config.log_burst)
        return cls(config, spec, policy, decisions)

    def policy_for(self, override: PolicyOverride | None, view: str) -> CorsPolicy:
        if override is None:
            return self.policy
        derived = self.derived.get(override)
        if derived is None:
            # Dict writes are atomic; two threads racing here build equal policies.
            derived, problems = compile_policy(self.spec.merged(override))
            _report(problems, view=view)
            self.derived[override] = derived
        return derived


def _report(problems: list[Problem], *, view: str | None) -> None:
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        # Once per build, not per request; the system checks explain each one.
        logger.error(
            "cors_config_refused",
            checks=[f"netrun.cors.{problem.code}" for problem in errors],
            view=view,
            result="entries_dropped",
        )


class CorsMiddleware(CorsHeadersMiddleware):
    """django-cors-headers' ``CorsMiddleware`` with the netrun preset as its configuration."""

    _state: _State | None = None
    _unreadable_logged = False
    _lock = threading.Lock()

    def _current(self) -> _State | None:
        try:
            config = get_settings(CORSConfig)
        except NetrunException as error:
            if not self._unreadable_logged:
                self._unreadable_logged = True
                logger.error(
                    "cors_config_unreadable", error_code=error.error_code, result="cors_disabled"
                )
            return None
        state = self._state
        if state is None or state.config is not config:
            with self._lock:
                state = self._state
                if state is None or state.config is not config:
                    state = self._state = _State.build(config)
                    self._unreadable_logged = False
        return state

    def _override_for(self, request: HttpRequest) -> tuple[PolicyOverride | None, str]:
        if not view_policy_count():
            return None, ""
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return None, ""
        return view_override(match.func), match.view_name

    def policy_for(self, request: HttpRequest) -> CorsPolicy | None:
        """The policy for this request (the view's own, if it has one); cached on it."""
        cached = getattr(request, _REQUEST_ATTRIBUTE, _UNSET)
        if cached is not _UNSET:
            return cached  # type: ignore[return-value]
        state = self._current()
        policy = None
        if state is not None:
            override, view = self._override_for(request)
            policy = state.policy_for(override, view)
        setattr(request, _REQUEST_ATTRIBUTE, policy)
        return policy

    def is_enabled(self, request: HttpRequest) -> bool:
        policy = self.policy_for(request)
        if policy is None or not policy.enabled:
            return False
        return policy.applies_to(request.path_info) or self.check_signal(request)

    def add_response_headers(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        enabled = getattr(request, "_cors_enabled", None)
        if enabled is None:
            enabled = self.is_enabled(request)
        policy = self.policy_for(request)
        if not enabled or policy is None:
            return response
        patch_vary_headers(response, ("origin",))
        origin = request.headers.get("origin")
        if not origin:
            return response
        decision = policy.decide(origin)
        if decision.reason == "not_allowed" and self.check_signal(request):
            decision = policy.allow_by_signal(decision)
        preflight = (
            request.method == "OPTIONS" and "access-control-request-method" in request.headers
        )
        state = self._state
        if state is not None and not (not decision.allowed and _same_origin(request, origin)):
            state.decisions.log(
                decision,
                origin,
                preset=policy.preset,
                method=request.method,
                path=safe_for_log(request.path_info),
                preflight=preflight,
            )
        for name, value in policy.response_headers(decision, preflight=preflight).items():
            response[name] = value
        return response


def _same_origin(request: HttpRequest, origin: str) -> bool:
    """Browsers send Origin on same-origin POSTs too; refusing those is not worth a warning."""
    try:
        return origin == f"{request.scheme}://{request.get_host()}"
    except Exception:
        # DisallowedHost and friends: not same-origin as far as logging is concerned.
        return False
