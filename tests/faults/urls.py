"""URLs of the fault tests: authenticated views (DRF and plain), refresh, logout, health."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from netrun.auth import get_jwt_manager
from netrun.core.views import health
from tests.auth import views


class Refresh(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        return Response(get_jwt_manager().refresh(request.data["refresh_token"]).as_dict())


class Logout(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        get_jwt_manager().revoke_token(request.data["token"])
        return Response(status=204)


urlpatterns = [
    path("api/me/", views.WhoAmI.as_view()),
    path("plain/", views.plain),
    path("plain-async/", views.plain_async),
    path("api/token/refresh/", Refresh.as_view()),
    path("api/logout/", Logout.as_view()),
    path("health/", health),
]
