from __future__ import annotations

from django.urls import path

from tests.cors import views

urlpatterns = [
    path("api/data/", views.data, name="data"),
    path("api/async/", views.async_data, name="async-data"),
    path("api/partner/", views.partner, name="partner"),
    path("api/private/", views.private, name="private"),
    path("api/read-only/", views.ReadOnly.as_view(), name="read-only"),
    path("pages/", views.data, name="pages"),
]
