"""render_error and negotiation, and the promise: the same error, the same envelope everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from fastapi.testclient import TestClient

from netrun.core.context import correlation_context
from netrun.errors import (
    BudgetExceededError,
    ConflictError,
    RateLimitExceededError,
    accepts_json,
    as_netrun_exception,
    prefers_problem_json,
    render_error,
)
from netrun.errors.rendering import parse_accept
from tests.errors.conftest import DRF_SETTINGS, MIDDLEWARE_PATH
from tests.errors.fastapi_app import make_app
from tests.errors.scenarios import CONFLICT_ENVELOPE, CORRELATION_ID, LEAKS, SECRET


def test_render_error_returns_status_headers_and_envelope() -> None:
    status, headers, body = render_error(ConflictError(correlation_id="c-1"))
    assert status == 409
    assert headers == {"Content-Type": "application/json", "X-Correlation-ID": "c-1"}
    assert body["error"]["code"] == "CONFLICT"


def test_render_error_as_problem() -> None:
    rendered = render_error(ConflictError(correlation_id="c-2"), problem=True, instance="/x")
    assert rendered.content_type == "application/problem+json"
    assert rendered.body["instance"] == "/x"
    assert rendered.body["correlation_id"] == rendered.headers["X-Correlation-ID"] == "c-2"


@pytest.mark.parametrize("cls", [RateLimitExceededError, BudgetExceededError])
def test_rate_limits_render_retry_after(cls: type[RateLimitExceededError]) -> None:
    assert render_error(cls(retry_after=7)).headers["Retry-After"] == "7"
    assert "Retry-After" not in render_error(cls()).headers


def test_unknown_exception_becomes_a_generic_500_with_the_context_correlation_id() -> None:
    with correlation_context("ctx-500"):
        status, headers, body = render_error(RuntimeError(SECRET))
    assert status == 500
    assert headers["X-Correlation-ID"] == "ctx-500"
    assert body == {
        "error": {
            "code": "INTERNAL_SERVER_ERROR",
            "message": "An internal server error occurred.",
            "details": {},
            "correlation_id": "ctx-500",
        }
    }
    for leak in LEAKS:
        assert leak not in repr(body)


def test_debug_adds_type_and_message_but_no_traceback() -> None:
    details = render_error(ValueError("bad value"), debug=True).body["error"]["details"]
    assert details == {"exception_type": "builtins.ValueError", "exception_message": "bad value"}


def test_as_netrun_exception_returns_netrun_errors_unchanged() -> None:
    exc = ConflictError()
    assert as_netrun_exception(exc) is exc


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/problem+json", True),
        ("application/problem+json, application/json;q=0.9", True),
        ("application/json, application/problem+json;q=0.5", False),
        ("application/problem+json;q=0", False),
        ("application/json", False),
        ("*/*", False),
        (None, False),
        ("", False),
    ],
)
def test_prefers_problem_json(accept: str | None, expected: bool) -> None:
    assert prefers_problem_json(accept) is expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", True),
        ("application/vnd.api+json", True),
        ("application/problem+json", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("text/html;q=0.5, application/json", True),
        ("application/json;q=0.4, text/html", False),
        ("application/json;q=0", False),
        ("*/*", False),
        (None, False),
    ],
)
def test_accepts_json(accept: str | None, expected: bool) -> None:
    assert accepts_json(accept) is expected


def test_parse_accept_tolerates_junk() -> None:
    assert parse_accept("Text/HTML;level=1;q=0.5, ,application/json;q=abc;x=y, a;q=7") == [
        ("text/html", 0.5),
        ("application/json", 0.0),
        ("a", 1.0),
    ]


# ---------------------------------------------------------------------- parity of renderers


def _django_response(path: str, accept: str) -> Any:
    with override_settings(
        REST_FRAMEWORK=DRF_SETTINGS,
        MIDDLEWARE=["django.middleware.common.CommonMiddleware", MIDDLEWARE_PATH],
        ROOT_URLCONF="tests.errors.urls",
    ):
        return Client(raise_request_exception=False).get(path, headers={"Accept": accept})


def _normalised(status: int, content_type: str, correlation_id: str, body: Any) -> Any:
    return {"status": status, "content_type": content_type, "cid": correlation_id, "body": body}


def _all_renderers(kind: str, accept: str = "application/json") -> list[Any]:
    paths = {
        "conflict": ("/drf/conflict/", "/plain/conflict/", "/conflict"),
        "crash": ("/drf/crash/", "/api/plain/crash/", "/crash"),
    }[kind]
    drf_path, plain_path, fastapi_path = paths
    results = []
    for path in (drf_path, plain_path):
        response = _django_response(path, accept)
        results.append(
            _normalised(
                response.status_code,
                response["Content-Type"],
                response["X-Correlation-ID"],
                response.json(),
            )
        )
    response = TestClient(make_app(), raise_server_exceptions=False).get(
        fastapi_path, headers={"Accept": accept}
    )
    results.append(
        _normalised(
            response.status_code,
            response.headers["content-type"],
            response.headers["x-correlation-id"],
            response.json(),
        )
    )
    return results


def test_drf_django_and_fastapi_answer_the_same_error_identically() -> None:
    drf, plain, fastapi = _all_renderers("conflict")
    expected = _normalised(409, "application/json", CORRELATION_ID, CONFLICT_ENVELOPE)
    assert drf == plain == fastapi == expected


def test_drf_django_and_fastapi_agree_on_problem_json() -> None:
    # DRF negotiates renderers before the view runs: a client accepting *only* problem+json
    # gets 406 from DRF, so clients list JSON too (as RFC 9457 clients usually do).
    accept = "application/problem+json, application/json;q=0.9"
    drf, plain, fastapi = _all_renderers("conflict", accept=accept)
    assert drf == plain == fastapi
    assert drf["content_type"] == "application/problem+json"
    assert drf["body"]["status"] == 409


def test_drf_django_and_fastapi_agree_on_the_generic_500_and_leak_nothing() -> None:
    results = _all_renderers("crash")
    for result in results:
        assert result["status"] == 500
        assert result["body"]["error"]["correlation_id"] == result["cid"]
        for leak in LEAKS:
            assert leak not in repr(result["body"])
    # Correlation IDs are per request; everything else is the same.
    bodies = [{**r["body"]["error"], "correlation_id": None} for r in results]
    assert bodies[0] == bodies[1] == bodies[2]
