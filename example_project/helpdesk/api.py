"""The helpdesk's REST API: JWT login, tickets, comments, and LLM summaries.

Authentication is netrun's JWT (``Authorization: Bearer``) or the Django session; the tenant
comes from the token's ``tenant_id`` claim (or ``X-Tenant-ID`` for session users) through
``TenantMiddleware``, and every ``Ticket``/``Comment`` query is scoped to it. A ticket of
another tenant is therefore not forbidden but absent: 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from example_project.helpdesk.assistant import summarise_ticket
from example_project.helpdesk.models import Comment, Ticket
from example_project.helpdesk.serializers import (
    CommentSerializer,
    RefreshRequestSerializer,
    SummariseSerializer,
    SummaryQueuedSerializer,
    SummarySerializer,
    TicketDetailSerializer,
    TicketSerializer,
    TokenPairSerializer,
    TokenRequestSerializer,
)
from example_project.helpdesk.tasks import summarise_ticket_task
from netrun.auth import get_jwt_manager
from netrun.auth.exceptions import with_challenge
from netrun.errors import AuthenticationError, TenantAccessDeniedError, ValidationError
from netrun.ratelimit.drf import NetrunRateThrottle
from netrun.rbac.drf import HasPermission, HasRole, IsTenantMember
from netrun.rbac.models import Membership

# Built once: HasPermission/HasRole return a permission class per call.
CanViewTickets = HasPermission("helpdesk.view_ticket")
CanAddTickets = HasPermission("helpdesk.add_ticket")
CanChangeTickets = HasPermission("helpdesk.change_ticket")
CanViewComments = HasPermission("helpdesk.view_comment")
CanAddComments = HasPermission("helpdesk.add_comment")
CanSummarise = HasPermission("helpdesk.summarize_ticket")
IsAgent = HasRole("agent", "admin")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# ?async= of the summary: anything else is a 400, as the schema's enum says.
ASYNC_VALUES = {"1": True, "true": True, "0": False, "false": False}


class LoginRateThrottle(NetrunRateThrottle):
    """Password guessing: ``DEFAULT_THROTTLE_RATES["login"]`` per client IP."""

    scope = "login"
    key = "ip"


def _permissions(
    request: Request, read: type[BasePermission], write: type[BasePermission]
) -> list[BasePermission]:
    chosen = read if request.method in SAFE_METHODS else write
    # IsAuthenticated first: an anonymous caller gets 401 (log in), not 403 (not a member).
    return [IsAuthenticated(), IsTenantMember(), chosen()]


# --------------------------------------------------------------------------- tokens


def _membership(user: Any, tenant: str | None) -> Membership:
    memberships = Membership.objects.filter(
        user=user, is_active=True, tenant__is_active=True
    ).select_related("tenant")
    if tenant:
        memberships = memberships.filter(tenant__slug=tenant)
    found = list(memberships[:2])
    if not found:
        raise TenantAccessDeniedError("You are not a member of that tenant.")
    if len(found) > 1:
        raise ValidationError("Choose a tenant.", {"tenant": "required: you belong to several"})
    return found[0]


def _token_response(membership: Membership, pair: Any) -> Response:
    return Response(
        {
            **pair.as_dict(),
            "tenant_id": str(membership.tenant_id),
            "tenant": membership.tenant.slug,
            "roles": [membership.role],
        }
    )


class TokenView(APIView):
    """``POST /api/token/`` ``{username, password, tenant?}``: a netrun access/refresh pair.

    The access token carries ``tenant_id`` and the membership's role in ``roles``; it is
    scoped to that one tenant, so a user of several tenants logs in once per tenant.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    # Error statuses get the netrun envelope as their body from the schema hook.
    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="Wrong credentials: AUTHENTICATION_ERROR."),
            403: OpenApiResponse(description="Not a member of the tenant: TENANT_ACCESS_DENIED."),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            # A 401 carries its challenge (RFC 7235): the client authenticates with a bearer
            # token, which this view hands out.
            error = AuthenticationError("Invalid username or password.")
            raise with_challenge(error, token_presented=False)
        membership = _membership(user, data.validated_data.get("tenant"))
        pair = get_jwt_manager().create_token_pair(
            str(user.pk), roles=[membership.role], tenant_id=str(membership.tenant_id)
        )
        return _token_response(membership, pair)


class RefreshView(APIView):
    """``POST /api/token/refresh/`` ``{refresh_token}``: a new pair; the old one is spent.

    The membership is checked again, so a member who was removed cannot keep refreshing.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=RefreshRequestSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(
                description="A refresh token that is invalid, expired or spent: "
                "TOKEN_INVALID, TOKEN_EXPIRED."
            ),
            403: OpenApiResponse(description="No longer a member: TENANT_ACCESS_DENIED."),
        },
    )
    def post(self, request: Request) -> Response:
        data = RefreshRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        manager = get_jwt_manager()
        token = data.validated_data["refresh_token"]
        with _bearer_challenge():
            claims = manager.decode(token, token_type="refresh")  # noqa: S106 - a type
        membership = (
            Membership.objects.filter(
                user__pk=claims["sub"],
                tenant__pk=claims.get("tenant_id"),
                is_active=True,
                tenant__is_active=True,
            )
            .select_related("tenant")
            .first()
        )
        if membership is None:
            raise TenantAccessDeniedError("You are no longer a member of that tenant.")
        with _bearer_challenge():
            pair = manager.refresh(token)  # a spent refresh token is refused here
        return _token_response(membership, pair)


@contextmanager
def _bearer_challenge() -> Iterator[None]:
    """A refused refresh token's 401 carries its challenge (RFC 6750)."""
    try:
        yield
    except AuthenticationError as error:
        raise with_challenge(error) from None


# --------------------------------------------------------------------------- tickets


class TicketListView(generics.ListCreateAPIView[Ticket]):
    """``GET/POST /api/tickets/``: the current tenant's tickets."""

    queryset = Ticket.objects.all()  # scoped when it runs, to the request's tenant
    serializer_class = TicketSerializer

    def get_permissions(self) -> list[BasePermission]:
        return _permissions(self.request, CanViewTickets, CanAddTickets)


class TicketDetailView(generics.RetrieveUpdateAPIView[Ticket]):
    """``GET/PATCH /api/tickets/<id>/``, with its comments."""

    queryset = Ticket.objects.prefetch_related("comments")
    serializer_class = TicketDetailSerializer

    def get_permissions(self) -> list[BasePermission]:
        return _permissions(self.request, CanViewTickets, CanChangeTickets)


class CommentListView(generics.ListCreateAPIView[Comment]):
    """``GET/POST /api/tickets/<id>/comments/``."""

    serializer_class = CommentSerializer

    def get_permissions(self) -> list[BasePermission]:
        return _permissions(self.request, CanViewComments, CanAddComments)

    def ticket(self) -> Ticket:
        return get_object_or_404(Ticket.objects.all(), pk=self.kwargs["pk"])

    def get_queryset(self) -> QuerySet[Comment]:
        return self.ticket().comments.all()

    def perform_create(self, serializer: BaseSerializer[Comment]) -> None:
        serializer.save(ticket=self.ticket(), author=self.request.user)


class SummariseView(APIView):
    """``POST /api/tickets/<id>/summarise/`` ``{reason}``: an LLM summary, stored as a comment.

    ``?async=1`` queues the Celery task instead (run in-process when Celery is eager) and
    answers 202 with the task ID.
    """

    permission_classes = [IsAuthenticated, IsTenantMember, IsAgent, CanSummarise]

    @extend_schema(
        request=SummariseSerializer,
        parameters=[
            OpenApiParameter(
                "async",
                OpenApiTypes.STR,
                enum=list(ASYNC_VALUES),
                description="1 or true: queue the Celery task and answer 202 at once.",
            )
        ],
        responses={
            201: SummarySerializer,
            202: SummaryQueuedSerializer,
            403: OpenApiResponse(
                description="TENANT_ACCESS_DENIED, PERMISSION_DENIED, or the tenant's LLM "
                "policy refusing the call: LLM_POLICY_VIOLATION."
            ),
            429: OpenApiResponse(description="The tenant's LLM budget is spent: BUDGET_EXCEEDED."),
            502: OpenApiResponse(description="The LLM provider failed."),
            503: OpenApiResponse(description="No LLM provider is available."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = get_object_or_404(Ticket.objects.all(), pk=pk)
        data = SummariseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason") or None
        queued = request.query_params.get("async", "false")
        if queued not in ASYNC_VALUES:
            raise ValidationError(details={"fields": {"async": ["One of 1, true, 0, false."]}})
        if ASYNC_VALUES[queued]:
            # The task carries the tenant (and the correlation ID) in its message headers.
            result = summarise_ticket_task.delay(ticket.pk, reason)
            body = {"task_id": result.id, "state": result.state}
            # With a result backend the task may already have failed (a budget refusal): its
            # result is then the exception, not a comment ID (the load run saw the 500).
            if result.successful():
                body["comment_id"] = result.result
            return Response(body, status=status.HTTP_202_ACCEPTED)
        comment, response = summarise_ticket(ticket, reason=reason)
        return Response(
            {
                "comment": CommentSerializer(comment).data,
                "provider": response.provider,
                "model": response.model,
                "offline": response.provider == "offline",
                "fallback_from": response.fallback_from,
                "usage": {
                    "input_tokens": response.usage.input_tokens,
                    "output_tokens": response.usage.output_tokens,
                    "estimated": response.usage.estimated,
                },
            },
            status=status.HTTP_201_CREATED,
        )
