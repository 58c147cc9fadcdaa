"""Views the netrun.auth tests call through the Django test client."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from netrun.auth import get_jwt_manager
from netrun.auth.cookies import set_token_cookies
from netrun.auth.drf import JWTAuthentication, TenantMatchesURL, roles_required
from netrun.core.context import current_tenant_id, current_user_id


def _context() -> dict[str, Any]:
    return {"ctx_user": current_user_id(), "ctx_tenant": current_tenant_id()}


class WhoAmI(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user.pk), "sub": request.auth["sub"], **_context()})


class Anyone(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"authenticated": bool(request.user.is_authenticated), **_context()})


class TenantTickets(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated, TenantMatchesURL]

    def get(self, request: Request, tenant_id: str) -> Response:
        return Response({"tenant": tenant_id, **_context()})


class AdminOnly(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated, roles_required("admin")]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def plain(request: HttpRequest) -> JsonResponse:
    user = request.user
    return JsonResponse(
        {
            "authenticated": bool(user.is_authenticated),
            "user": str(user.pk) if user.is_authenticated else None,
            "auth": getattr(request, "auth", None) is not None,
            **_context(),
        }
    )


async def plain_async(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"auth": getattr(request, "auth", None) is not None, **_context()})


class Notes(APIView):
    """A DRF view with an unsafe method: cookie-authenticated POSTs need the CSRF token."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user.pk)})

    def post(self, request: Request) -> Response:
        return Response({"user": str(request.user.pk), "saved": True}, status=201)


@csrf_exempt  # a plain view that opted out of Django's check: the middleware still checks
def plain_write(request: HttpRequest) -> JsonResponse:
    user = request.user
    return JsonResponse({"user": str(user.pk) if user.is_authenticated else None})


@csrf_exempt  # a login rides on no cookie yet; it hands out the CSRF cookie for later requests
def cookie_login(request: HttpRequest) -> JsonResponse:
    """What an application's login view does for browser clients of the cookie transport."""
    user = authenticate(
        request, username=request.POST.get("username"), password=request.POST.get("password")
    )
    if user is None:
        return JsonResponse({"error": "bad credentials"}, status=400)
    pair = get_jwt_manager().create_token_pair(user.pk)
    response = JsonResponse({"token_type": pair.token_type, "expires_in": pair.expires_in})
    set_token_cookies(response, pair)
    get_token(request)  # CsrfViewMiddleware sets the csrftoken cookie on the response
    return response
