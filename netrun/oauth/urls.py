"""URLs of the login views: ``path("oauth/", include("netrun.oauth.urls"))``."""

from __future__ import annotations

from django.urls import path

from netrun.oauth import views

app_name = "netrun_oauth"

urlpatterns = [
    path("<str:provider>/login/", views.login, name="login"),
    path("<str:provider>/callback/", views.callback, name="callback"),
]
