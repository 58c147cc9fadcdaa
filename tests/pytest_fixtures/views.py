"""Views the pytest_fixtures tests call with the authenticated clients."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from netrun.auth.drf import JWTAuthentication
from netrun.core.context import current_tenant_id, current_user_id


class WhoAmI(APIView):
    authentication_classes = [JWTAuthentication]

    def get(self, request: Request) -> Response:
        claims = request.auth if isinstance(request.auth, dict) else {}
        return Response(
            {
                "user": str(request.user.pk) if request.user.is_authenticated else None,
                "roles": claims.get("roles"),
                "ctx_user": current_user_id(),
                "ctx_tenant": current_tenant_id(),
            }
        )
