from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from netrun.rbac.models import Tenant


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: the tenants of this helpdesk and where to go next."""
    tenants = Tenant.objects.filter(is_active=True).order_by("name")
    return render(request, "helpdesk/home.html", {"tenants": tenants})
