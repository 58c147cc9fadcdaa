"""simplejwt's *stock* views and authentication, configured by simple_jwt_settings()."""

from __future__ import annotations

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views
from rest_framework_simplejwt.authentication import JWTAuthentication

from netrun.auth.drf import JWTAuthentication as NetrunJWTAuthentication


class SimpleJWTMe(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user.pk)})


class NetrunMe(SimpleJWTMe):
    authentication_classes = [NetrunJWTAuthentication]


urlpatterns = [
    path("token/", views.TokenObtainPairView.as_view()),
    path("token/refresh/", views.TokenRefreshView.as_view()),
    path("token/verify/", views.TokenVerifyView.as_view()),
    path("token/blacklist/", views.TokenBlacklistView.as_view()),
    path("simplejwt/me/", SimpleJWTMe.as_view()),
    path("netrun/me/", NetrunMe.as_view()),
]
