"""URLs of ``netrun.auth``: ``path("", include("netrun.auth.urls"))`` serves the JWKS."""

from __future__ import annotations

from django.urls import path

from netrun.auth.views import jwks_view

app_name = "netrun_auth"

urlpatterns = [
    path(".well-known/jwks.json", jwks_view, name="jwks"),
]
