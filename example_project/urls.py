from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from example_project.helpdesk.views import home
from netrun.core.views import health
from netrun.llm.telemetry.dashboard import llm_dashboard_view
from netrun.llm.telemetry.views import metrics_view

# Error pages: JSON for clients that ask for JSON (and under /api/), HTML for browsers.
handler400 = "netrun.errors.views.handler400"
handler403 = "netrun.errors.views.handler403"
handler404 = "netrun.errors.views.handler404"
handler500 = "netrun.errors.views.handler500"

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path(
        "admin/llm/dashboard/",
        admin.site.admin_view(llm_dashboard_view),
        name="netrun_llm_dashboard",
    ),
    path("admin/", admin.site.urls),
    # The API's contract: OpenAPI 3.1 and Swagger UI (from drf-spectacular-sidecar, no CDN).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("api/", include("example_project.helpdesk.urls")),
    path("oauth/", include("netrun.oauth.urls")),
    path("", include("netrun.auth.urls")),  # /.well-known/jwks.json
]

# Prometheus: a bearer token (LLM_METRICS_TOKEN) or a staff session; open only in development.
# Without a token in production there is nothing to scrape it with, so it is not routed.
if settings.DEBUG or settings.NETRUN_LLM_METRICS_TOKEN:
    urlpatterns.insert(2, path("metrics/", metrics_view, name="metrics"))
