"""Test-only views that raise the errors the renderers must answer."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions as drf
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from netrun.errors import RateLimitExceededError
from tests.errors.scenarios import SECRET, raise_conflict

# ------------------------------------------------------------------------------ plain Django


def plain_conflict(request: HttpRequest) -> HttpResponse:
    raise_conflict()
    return HttpResponse("unreachable")


def plain_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET)


def plain_rate_limited(request: HttpRequest) -> HttpResponse:
    raise RateLimitExceededError(retry_after=30)


def plain_not_found(request: HttpRequest) -> HttpResponse:
    raise Http404("No Invoice matches the given query: " + SECRET)


def plain_forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("not in group finance: " + SECRET)


def plain_suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(SECRET)


def plain_ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


# ------------------------------------------------------------------------------------ DRF


class OpenView(APIView):
    authentication_classes = []
    permission_classes = []


class ConflictView(OpenView):
    def get(self, request: Request) -> Response:
        raise_conflict()
        return Response()


class SignupSerializer(serializers.Serializer[dict[str, object]]):
    email = serializers.EmailField()
    age = serializers.IntegerField(min_value=0)

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if attrs.get("email") == "taken@example.com":
            raise serializers.ValidationError("This account already exists.")
        return attrs


class ValidationView(OpenView):
    def post(self, request: Request) -> Response:
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class DjangoValidationView(OpenView):
    def get(self, request: Request) -> Response:
        if request.query_params.get("form"):
            raise DjangoValidationError({"name": ["Name is too short."]})
        raise DjangoValidationError("Something is off.")


class ThrottledView(OpenView):
    def get(self, request: Request) -> Response:
        raise drf.Throttled(wait=12.2)


class LoginRequiredView(APIView):
    """With an authenticator that sends WWW-Authenticate, DRF answers 401."""

    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class LoginRequiredNoChallengeView(APIView):
    """Session authentication sends no WWW-Authenticate, so DRF turns 401 into 403."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class RaiseView(OpenView):
    """Raises whatever ``exception`` it was configured with in the URLconf."""

    exception: BaseException = RuntimeError(SECRET)

    def get(self, request: Request) -> Response:
        raise self.exception

    def post(self, request: Request) -> Response:
        raise self.exception


class GetOnlyView(OpenView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class JSONOnlyView(OpenView):
    parser_classes = [JSONParser]

    def post(self, request: Request) -> Response:
        return Response({"received": request.data})


class Teapot(drf.APIException):
    status_code = 418
    default_detail = "I'm a teapot."
    default_code = "teapot"


class SlowDown(drf.APIException):
    """A 429 that is not DRF's Throttled: it knows no wait time."""

    status_code = 429
    default_detail = "Slow down."
    default_code = "slow_down"
