"""Django glue shared by the decorator, the middleware, the DRF throttle and the views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from netrun.errors import RateLimitExceededError, prefers_problem_json, render_error
from netrun.errors.conf import conf as errors_conf
from netrun.ratelimit._decision import Decision
from netrun.ratelimit._limiter import RateLimiter
from netrun.ratelimit._rate import Rate
from netrun.ratelimit.conf import conf, get_backend

__all__ = [
    "DECISIONS_ATTR",
    "add_headers",
    "decisions_of",
    "limiter_for",
    "rate_limited_response",
    "record",
]

#: Where each decision taken for a request is kept, so the middleware can send its headers.
DECISIONS_ATTR = "netrun_ratelimit_decisions"


def limiter_for(rate: Rate) -> RateLimiter:
    """A limiter on the configured backend; cheap, built at use so settings are current."""
    return RateLimiter(
        rate,
        get_backend(),
        fail_open=conf.fail_open,
        error_log_interval=conf.error_log_interval,
    )


def _django_request(request: Any) -> Any:
    # A DRF Request wraps the HttpRequest that middleware sees.
    return getattr(request, "_request", request)


def record(request: Any, decision: Decision) -> None:
    target = _django_request(request)
    decisions: list[Decision] | None = getattr(target, DECISIONS_ATTR, None)
    if decisions is None:
        decisions = []
        setattr(target, DECISIONS_ATTR, decisions)
    decisions.append(decision)


def decisions_of(request: Any) -> list[Decision]:
    return list(getattr(_django_request(request), DECISIONS_ATTR, ()))


def most_restrictive(decisions: list[Decision]) -> Decision | None:
    """The decision whose headers the client must obey: a denial, else the least remaining."""
    if not decisions:
        return None
    return min(
        decisions,
        key=lambda d: (d.allowed, d.remaining / d.limit, -d.retry_after),
    )


def add_headers(response: HttpResponseBase, decision: Decision | None) -> HttpResponseBase:
    """Add ``decision``'s headers that the response does not set already."""
    if decision is None or not conf.headers:
        return response
    for name, value in decision.headers().items():
        if name == "Retry-After" and response.status_code != 429:
            continue
        if name not in response:
            response[name] = value
    return response


def rate_limited_response(request: HttpRequest, error: RateLimitExceededError) -> JsonResponse:
    """The 429 in the Netrun envelope (or problem+json), with ``RateLimit-*`` headers."""
    problem = bool(errors_conf.problem_json) or prefers_problem_json(request.headers.get("Accept"))
    status, headers, body = render_error(error, problem=problem)
    content_type = headers.pop("Content-Type")
    if not conf.headers:
        # RateLimit-* are opt-out; Retry-After is part of the 429 and always sent.
        headers = {k: v for k, v in headers.items() if not k.startswith("RateLimit-")}
    return JsonResponse(body, status=status, headers=headers, content_type=content_type)
