from __future__ import annotations

from django.urls import path

from tests.ratelimit import views

urlpatterns = [
    path("ok/", views.ok),
    path("health/", views.ok),
    path("by-ip/", views.by_ip),
    path("by-user/", views.by_user),
    path("by-tenant/", views.by_tenant),
    path("by-header/", views.by_header_unsafe),
    path("not-blocking/", views.not_blocking),
    path("weighted/", views.weighted),
    path("async-by-ip/", views.async_by_ip),
    path("async-by-user/", views.async_by_user),
    path("raises/", views.raises_rate_limited),
    path("api/throttled/", views.ThrottledView.as_view()),
    path("api/scoped/", views.ScopedView.as_view()),
    path("django-ratelimit/", views.django_ratelimit_view),
    path("api/checked-in-view/", views.CheckedInViewAPI.as_view()),
]
