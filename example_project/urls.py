from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from example_project.helpdesk.views import home
from netrun.core.views import health

# Error pages: JSON for clients that ask for JSON (and under /api/), HTML for browsers.
handler400 = "netrun.errors.views.handler400"
handler403 = "netrun.errors.views.handler403"
handler404 = "netrun.errors.views.handler404"
handler500 = "netrun.errors.views.handler500"

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("oauth/", include("netrun.oauth.urls")),
    path("", include("netrun.auth.urls")),  # /.well-known/jwks.json
]
