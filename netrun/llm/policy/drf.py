"""Django REST framework: the current tenant's scope budgets, read-only.

::

    # urls.py
    urlpatterns += [path("api/llm/", include("netrun.llm.policy.urls"))]

``GET api/llm/scope-budgets/`` answers the budgets of the request's tenant (the one
``netrun.rbac``'s ``TenantMiddleware`` bound), each with its current window read from the
configured ledger (``NETRUN_LLM_BUDGET_LEDGER``): ``spent_usd``, ``reserved_usd``,
``remaining_usd`` and ``resets_at``. A default limit (blank ``value``: every user, key or tag
separately) has no single window, so its ``window`` is ``null``. Another tenant's budgets are
never read: the query names the bound tenant only.

Refusals are netrun errors in the one envelope (with ``netrun.errors.drf.exception_handler``):
401 ``AUTHENTICATION_ERROR`` without credentials (when an authenticator can send
``WWW-Authenticate``, such as ``netrun.auth.drf.JWTAuthentication``; DRF answers 403 for
session-only APIs), 400 ``TENANT_REQUIRED`` when the request names no tenant, 403
``TENANT_ACCESS_DENIED`` when the user is no member of it. Any member may read; subclass
:class:`ScopeBudgetList` and set ``permission_classes`` (e.g. ``HasRole("admin")``) to narrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from netrun.core.context import current_tenant_id
from netrun.errors import TenantRequiredError
from netrun.llm.models import ScopeBudgetRecord
from netrun.llm.models.policy import parse_thresholds, scope_budget_usage
from netrun.llm.policy.ledgers import default_ledger, from_micros
from netrun.rbac.drf import IsTenantMember

__all__ = ["ScopeBudgetList", "ScopeBudgetSerializer", "ScopeWindowSerializer"]


class ScopeWindowSerializer(serializers.Serializer[Any]):
    """A budget's current window: its scope key, bounds and what the ledger holds in it."""

    scope = serializers.CharField()
    start = serializers.DateField()
    resets_at = serializers.DateTimeField()
    limit_usd = serializers.DecimalField(max_digits=18, decimal_places=6)
    spent_usd = serializers.DecimalField(max_digits=18, decimal_places=6)
    reserved_usd = serializers.DecimalField(max_digits=18, decimal_places=6)
    remaining_usd = serializers.DecimalField(max_digits=18, decimal_places=6)


class ScopeBudgetSerializer(serializers.Serializer[Any]):
    """One scope budget as the admin holds it, with its current window (``null`` for a
    default limit, whose every user, key or tag has a window of its own)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["user", "key", "tag"])
    value = serializers.CharField(allow_null=True)
    limit_usd = serializers.DecimalField(max_digits=12, decimal_places=4)
    period = serializers.ChoiceField(choices=["day", "week", "month", "hours"])
    hours = serializers.IntegerField(allow_null=True)
    alert_thresholds = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    enabled = serializers.BooleanField()
    window = ScopeWindowSerializer(allow_null=True)


def _row(record: ScopeBudgetRecord) -> dict[str, Any]:
    found = scope_budget_usage(record, ledger=default_ledger())
    window = None
    if found is not None:
        span, usage = found
        limit = span.limit or 0
        window = {
            "scope": span.scope,
            "start": span.start,
            "resets_at": span.resets_at,
            "limit_usd": from_micros(limit),
            "spent_usd": from_micros(usage.spent),
            "reserved_usd": from_micros(usage.reserved),
            "remaining_usd": from_micros(max(0, limit - usage.spent - usage.reserved)),
        }
    thresholds = parse_thresholds(record.alert_thresholds)
    return {
        "id": record.pk,
        "kind": record.kind,
        "value": record.value or None,
        "limit_usd": record.limit_usd,
        "period": record.period,
        "hours": record.hours,
        "alert_thresholds": None if thresholds is None else list(thresholds),
        "enabled": record.enabled,
        "window": window,
    }


class ScopeBudgetList(APIView):
    """``GET``: the request tenant's scope budgets and their current windows."""

    #: Empty: the project's ``DEFAULT_AUTHENTICATION_CLASSES``, read at each request.
    authentication_classes: Sequence[type[BaseAuthentication]] = ()
    permission_classes = [IsAuthenticated, IsTenantMember]
    serializer_class = ScopeBudgetSerializer

    def get_authenticators(self) -> list[BaseAuthentication]:
        # APIView binds the setting once, when the class is defined: read it at use instead,
        # so a changed setting (override_settings in tests) reaches this view too.
        configured = cast(
            "Sequence[type[BaseAuthentication]]", api_settings.DEFAULT_AUTHENTICATION_CLASSES
        )
        return [auth() for auth in self.authentication_classes or configured]

    def get(self, request: Request) -> Response:
        tenant = current_tenant_id()
        if tenant is None:  # IsTenantMember refuses first; a subclass may have dropped it
            raise TenantRequiredError("This request names no tenant.")
        records = ScopeBudgetRecord.objects.filter(tenant_id=str(tenant))
        rows = [_row(record) for record in records]
        return Response(
            {"tenant_id": str(tenant), "results": self.serializer_class(rows, many=True).data}
        )
