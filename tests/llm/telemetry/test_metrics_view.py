"""The metrics endpoint is closed by default: a bearer token or a staff session, else 401/403;
open to everyone only in development without a token. Check W004 for production routing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings
from django.urls import include, path
from prometheus_client import CollectorRegistry, Counter

from netrun.llm.checks import check_metrics_token
from netrun.llm.telemetry.views import make_metrics_view, metrics_view

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def view() -> Any:
    registry = CollectorRegistry()
    Counter("netrun_probe", "A counter only this test's registry has.", registry=registry).inc()
    return make_metrics_view(registry)


def _get(view: Any, user: Any = None, **headers: str) -> Any:
    request = RequestFactory().get("/metrics/", **headers)
    request.user = user if user is not None else AnonymousUser()
    return view(request)


@override_settings(DEBUG=False)
def test_anonymous_scrapes_are_refused_in_production_without_a_token(view: Any) -> None:
    response = _get(view)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"netrun_probe" not in response.content


@override_settings(DEBUG=False, NETRUN_LLM_METRICS_TOKEN=TOKEN)
def test_the_bearer_token_opens_the_view_and_a_wrong_one_does_not(view: Any) -> None:
    assert _get(view).status_code == 401
    assert _get(view, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert _get(view, HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert _get(view, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 401
    for scheme in ("Bearer", "bearer", "Metrics"):
        allowed = _get(view, HTTP_AUTHORIZATION=f"{scheme} {TOKEN}")
        assert allowed.status_code == 200
        assert b"netrun_probe_total 1.0" in allowed.content


@override_settings(DEBUG=True, NETRUN_LLM_METRICS_TOKEN=TOKEN)
def test_a_token_is_required_in_development_too_once_set(view: Any) -> None:
    assert _get(view).status_code == 401


@override_settings(DEBUG=True)
def test_development_without_a_token_is_open(view: Any) -> None:
    assert _get(view).status_code == 200


@override_settings(DEBUG=False)
def test_staff_sessions_read_the_metrics_and_other_users_get_403(
    view: Any, django_user_model: Any, db: None
) -> None:
    staff = django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    member = django_user_model.objects.create_user("member", password="pw")
    assert _get(view, staff).status_code == 200
    assert _get(view, member).status_code == 403
    staff.is_active = False
    assert _get(view, staff).status_code == 403


@override_settings(DEBUG=False)
def test_a_request_without_the_auth_middleware_is_refused(view: Any) -> None:
    request = RequestFactory().get("/metrics/")
    assert view(request).status_code == 401


# ----------------------------------------------------------------------------- W004

urlpatterns = [path("ops/", include([path("metrics/", metrics_view)]))]


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_w004_the_metrics_view_routed_in_production_without_a_token() -> None:
    [message] = check_metrics_token()
    assert message.id == "netrun.llm.W004"
    assert "NETRUN_LLM_METRICS_TOKEN" in message.msg


@override_settings(DEBUG=False, ROOT_URLCONF=__name__, NETRUN_LLM_METRICS_TOKEN=TOKEN)
def test_w004_is_silent_with_a_token() -> None:
    assert check_metrics_token() == []


@override_settings(DEBUG=True, ROOT_URLCONF=__name__)
def test_w004_is_silent_in_development() -> None:
    assert check_metrics_token() == []


@override_settings(DEBUG=False)
def test_w004_is_silent_when_the_view_is_not_routed() -> None:
    # tests/urls.py routes the admin and the API, not the metrics.
    assert check_metrics_token() == []


@override_settings(DEBUG=False, ROOT_URLCONF="tests.llm.no_such_urlconf")
def test_w004_leaves_a_broken_urlconf_to_djangos_own_checks() -> None:
    assert check_metrics_token() == []
