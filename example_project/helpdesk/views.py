from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from example_project.helpdesk.management.commands.seed_demo import DEMO_TENANTS
from netrun.rbac.models import Tenant


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what the demo shows, its logins, its tenants, and what to try."""
    tenants = Tenant.objects.filter(is_active=True).order_by("name")
    # The logins seed_demo creates (its table, so the page never names a user it does not
    # make); their passwords are printed by `make run` / `manage.py seed_demo`, never stored.
    members = [
        {"username": username, "tenant": slug, "tenant_name": name, "role": role}
        for slug, name, username, role in DEMO_TENANTS
    ]
    return render(request, "helpdesk/home.html", {"tenants": tenants, "members": members})
