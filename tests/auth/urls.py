from __future__ import annotations

from django.urls import include, path

from netrun.auth import simplejwt
from netrun.auth.views import cookie_logout_view, cookie_refresh_view
from tests.auth import views

urlpatterns = [
    path("", include("netrun.auth.urls")),
    path("api/me/", views.WhoAmI.as_view()),
    path("api/anyone/", views.Anyone.as_view()),
    path("api/admin/", views.AdminOnly.as_view()),
    path("api/tenants/<str:tenant_id>/tickets/", views.TenantTickets.as_view()),
    path("plain/", views.plain),
    path("plain-async/", views.plain_async),
    path("api/token/", simplejwt.TokenObtainPairView.as_view()),
    path("api/token/refresh/", simplejwt.TokenRefreshView.as_view()),
    path("api/token/verify/", simplejwt.TokenVerifyView.as_view()),
    path("api/token/blacklist/", simplejwt.TokenBlacklistView.as_view()),
    path("api/notes/", views.Notes.as_view()),
    path("plain-write/", views.plain_write),
    path("auth/login/", views.cookie_login),
    path("auth/refresh/", cookie_refresh_view),
    path("auth/logout/", cookie_logout_view),
]
