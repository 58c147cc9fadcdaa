"""URLconf for the netrun.errors tests, with Netrun's error views as handlers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path
from rest_framework import exceptions as drf

from netrun.errors import DatabaseError
from tests.errors import views
from tests.errors.scenarios import SECRET

handler400 = "netrun.errors.views.handler400"
handler403 = "netrun.errors.views.handler403"
handler404 = "netrun.errors.views.handler404"
handler500 = "netrun.errors.views.handler500"

_raise = views.RaiseView.as_view

urlpatterns = [
    path("plain/conflict/", views.plain_conflict),
    path("plain/crash/", views.plain_crash),
    path("api/plain/crash/", views.plain_crash),
    path("plain/rate-limited/", views.plain_rate_limited),
    path("plain/not-found/", views.plain_not_found),
    path("plain/forbidden/", views.plain_forbidden),
    path("plain/suspicious/", views.plain_suspicious),
    path("plain/ok/", views.plain_ok),
    path("drf/conflict/", views.ConflictView.as_view()),
    path("drf/validation/", views.ValidationView.as_view()),
    path("drf/django-validation/", views.DjangoValidationView.as_view()),
    path("drf/throttled/", views.ThrottledView.as_view()),
    path("drf/login-required/", views.LoginRequiredView.as_view()),
    path("drf/login-required-no-challenge/", views.LoginRequiredNoChallengeView.as_view()),
    path("drf/get-only/", views.GetOnlyView.as_view()),
    path("drf/json-only/", views.JSONOnlyView.as_view()),
    path("drf/crash/", _raise()),
    path("drf/database/", _raise(exception=DatabaseError())),
    path("drf/auth-failed/", _raise(exception=drf.AuthenticationFailed())),
    path("drf/permission/", _raise(exception=drf.PermissionDenied())),
    path("drf/django-permission/", _raise(exception=PermissionDenied(SECRET))),
    path("drf/not-found/", _raise(exception=drf.NotFound("No such order."))),
    path("drf/http404/", _raise(exception=Http404(SECRET))),
    path("drf/teapot/", _raise(exception=views.Teapot())),
    path("drf/api-exception-dict/", _raise(exception=drf.APIException({"reason": "x"}))),
    path("drf/too-many/", _raise(exception=views.SlowDown())),
    path("drf/suspicious/", _raise(exception=SuspiciousOperation(SECRET))),
]
