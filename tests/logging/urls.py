"""URLconf for the correlation middleware tests (test-only)."""

from __future__ import annotations

from django.urls import path

from tests.logging import views

urlpatterns = [
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("async/orders/<int:pk>/", views.async_order_detail, name="async-order-detail"),
    path("binds/", views.binds_context),
    path("whoami/", views.whoami),
    path("preset/", views.preset_header),
    path("tenant/", views.tenant_view),
    path("boom/", views.boom),
    path("events/", views.events),
    path("async/events/", views.async_events),
]
