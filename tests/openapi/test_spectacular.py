"""The netrun drf-spectacular extension and hooks on small views of their own.

The example project's schema (tests/example/test_openapi.py) shows them together; these pin
what each one does alone: the cookie scheme beside the bearer one, subclasses of the
authenticator, DRF's own throttles, a body a view declares itself, and what is left out when
the middleware a piece describes is not installed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.validation import validate_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from netrun.auth.drf import JWTAuthentication
from netrun.ratelimit.drf import NetrunUserRateThrottle
from netrun.rbac.drf import HasPermission, HasRole, IsTenantMember

HOOKS = [
    "netrun.errors.contrib.spectacular.postprocess_error_responses",
    "netrun.logging.contrib.spectacular.postprocess_correlation_id",
    "netrun.ratelimit.contrib.spectacular.postprocess_rate_limits",
    "netrun.rbac.contrib.spectacular.postprocess_tenancy",
]
RATES = {"user": "5/m", "anon": "7/m"}
SCHEMA_CLASS = "drf_spectacular.openapi.AutoSchema"


class ItemSerializer(serializers.Serializer[None]):
    name = serializers.CharField()


class ConflictSerializer(serializers.Serializer[None]):
    existing = serializers.IntegerField()


class SubclassedJWT(JWTAuthentication):
    pass


def build_urlpatterns() -> list[Any]:
    # Built under the REST_FRAMEWORK override: @extend_schema subclasses the schema class
    # that DEFAULT_SCHEMA_CLASS names when it runs.
    class Base(APIView):
        authentication_classes = [JWTAuthentication]
        permission_classes = [
            IsAuthenticated,
            IsTenantMember,
            HasRole("editor"),
            HasPermission("app.add_item"),
        ]
        throttle_classes = [NetrunUserRateThrottle]

        @extend_schema(
            request=ItemSerializer,
            responses={
                201: ItemSerializer,
                409: ConflictSerializer,
                422: OpenApiResponse(description="Named after a reserved word."),
            },
        )
        def post(self, request: Any, pk: int) -> Response:
            return Response(status=201)

    class Open(APIView):
        authentication_classes = [SubclassedJWT]
        permission_classes = [AllowAny]
        throttle_classes = [AnonRateThrottle]

        @extend_schema(responses={200: ItemSerializer})
        def get(self, request: Any) -> Response:
            return Response({"name": "x"})

    return [path("items/<int:pk>/", Base.as_view()), path("open/", Open.as_view())]


def generate(**spectacular: Any) -> dict[str, Any]:
    patches = {"OAS_VERSION": "3.1.0", "POSTPROCESSING_HOOKS": HOOKS, **spectacular}
    with patched_settings(patches):
        schema: dict[str, Any] = SchemaGenerator(patterns=build_urlpatterns()).get_schema(
            public=True
        )
    validate_schema(schema)
    return schema


@pytest.fixture(autouse=True)
def _rates() -> Any:
    rest_framework = {"DEFAULT_THROTTLE_RATES": RATES, "DEFAULT_SCHEMA_CLASS": SCHEMA_CLASS}
    with override_settings(REST_FRAMEWORK=rest_framework):
        yield


def test_the_bearer_scheme_alone_by_default_and_subclasses_match() -> None:
    schema = generate()
    assert list(schema["components"]["securitySchemes"]) == ["jwtAuth"]
    post = schema["paths"]["/items/{id}/"]["post"]
    assert post["security"] == [{"jwtAuth": []}]
    # AllowAny: the token is optional, drf-spectacular's empty requirement says so.
    assert schema["paths"]["/open/"]["get"]["security"] == [{"jwtAuth": []}, {}]


@override_settings(NETRUN_AUTH_COOKIE_TRANSPORT=True, NETRUN_AUTH_ACCESS_COOKIE_NAME="at")
def test_with_the_cookie_transport_either_scheme_authenticates() -> None:
    schema = generate()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtCookieAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "at",
        "description": schemes["jwtCookieAuth"]["description"],
    }
    assert "CSRF" in schemes["jwtCookieAuth"]["description"]
    post = schema["paths"]["/items/{id}/"]["post"]
    assert post["security"] == [{"jwtAuth": []}, {"jwtCookieAuth": []}]


def test_declared_bodies_are_kept_and_bare_declarations_get_the_envelope() -> None:
    responses = generate()["paths"]["/items/{id}/"]["post"]["responses"]
    assert responses["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Conflict"
    }
    assert "application/problem+json" not in responses["409"]["content"]
    assert responses["422"]["description"] == "Named after a reserved word."
    assert responses["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/NetrunProblem"
    }
    assert sorted(responses) == [
        "201",
        "400",
        "401",
        "403",
        "404",
        "406",
        "409",
        "415",
        "422",
        "429",
        "500",
    ]


def test_drf_throttles_get_a_429_and_netrun_throttles_their_limits() -> None:
    schema = generate()
    netrun = schema["paths"]["/items/{id}/"]["post"]
    assert netrun["x-netrun-rate-limits"] == [
        {"scope": "user", "limit": 5, "period": 60.0, "key": "user_or_ip"}
    ]
    drf = schema["paths"]["/open/"]["get"]
    assert "x-netrun-rate-limits" not in drf
    assert set(drf["responses"]["429"]["headers"]) == {"X-Correlation-ID", "Retry-After"}
    # RateLimitMiddleware is not in tests.settings: nothing sends RateLimit-*, nothing says so.
    assert "RateLimit-Limit" not in netrun["responses"]["429"]["headers"]
    assert "RateLimit-Limit" not in schema["components"].get("headers", {})


def test_with_the_middleware_every_response_of_a_limited_operation_has_the_headers() -> None:
    middleware = ["netrun.ratelimit.middleware.RateLimitMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        schema = generate()
    for response in schema["paths"]["/items/{id}/"]["post"]["responses"].values():
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
            response["headers"]
        )
    # A DRF throttle records no netrun decision: no RateLimit-* there.
    assert "RateLimit-Limit" not in schema["paths"]["/open/"]["get"]["responses"]["200"].get(
        "headers", {}
    )


def test_the_global_middleware_rate_limits_every_operation_outside_exempt_paths() -> None:
    with override_settings(
        NETRUN_RATELIMIT_MIDDLEWARE_RATE="100/h", NETRUN_RATELIMIT_EXEMPT_PATHS=["/open/"]
    ):
        schema = generate()
    limits = schema["paths"]["/items/{id}/"]["post"]["x-netrun-rate-limits"]
    assert limits[-1] == {"scope": "global", "limit": 100, "period": 3600.0, "key": "user_or_ip"}
    assert "x-netrun-rate-limits" not in schema["paths"]["/open/"]["get"]


def test_tenant_header_and_scoped_permissions() -> None:
    schema = generate()
    post = schema["paths"]["/items/{id}/"]["post"]
    headers = [p["name"] for p in post["parameters"] if p["in"] == "header"]
    assert headers == ["X-Correlation-ID", "X-Tenant-ID"]
    assert post["x-netrun-tenant-scoped"] is True
    assert post["x-netrun-roles"] == ["editor"]
    assert post["x-netrun-permissions"] == ["app.add_item"]
    assert "Role: any of editor. Permissions: app.add_item." in post["description"]
    open_get = schema["paths"]["/open/"]["get"]
    assert "x-netrun-tenant-scoped" not in open_get
    # TenantMiddleware still reads the header there, and answers a refused tenant with 403.
    assert "403" in open_get["responses"]


def test_without_the_tenant_middleware_or_header_strategy_there_is_no_tenant_header() -> None:
    for override in (
        {"MIDDLEWARE": ["netrun.logging.middleware.CorrelationIdMiddleware"]},
        {"NETRUN_RBAC_TENANT_STRATEGIES": ["jwt", "session"]},
    ):
        with override_settings(**override):
            schema = generate()
        names = [p["name"] for p in schema["paths"]["/open/"]["get"]["parameters"]]
        assert names == ["X-Correlation-ID"], override
        assert "403" not in schema["paths"]["/open/"]["get"]["responses"]
