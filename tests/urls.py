from __future__ import annotations

from django.contrib import admin
from django.urls import path

from netrun.core.views import health
from tests.rbac import views as rbac_views

handler404 = "netrun.errors.views.handler404"
handler500 = "netrun.errors.views.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # The rbac attack suite's API (tests/rbac/).
    path("api/tickets/", rbac_views.TicketList.as_view()),
    path("api/tickets/<int:pk>/", rbac_views.TicketDetail.as_view()),
    path("whoami/", rbac_views.whoami),
    path("async-whoami/", rbac_views.async_whoami),
    path("stream-whoami/", rbac_views.stream_whoami),
    path("async-stream-whoami/", rbac_views.async_stream_whoami),
    path("agents-only/", rbac_views.agents_only),
]
