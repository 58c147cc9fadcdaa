"""A URLconf whose decorated views break the rules, for the view-policy check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from netrun.cors import cors_policy


@cors_policy(allow_all_origins=True, allow_credentials=True)
def wildcard(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


@cors_policy(preset="production", origins=["http://insecure.example.com"])
def insecure(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


urlpatterns = [
    path("wildcard/", wildcard),
    path("wildcard-again/", wildcard),
    path("insecure/", insecure),
]
