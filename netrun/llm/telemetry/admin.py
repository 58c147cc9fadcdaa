"""The spend dashboard's place in the admin site (:class:`DashboardAdmin`): a page at
``admin/netrun_llm/dashboard/``, linked from the admin index. The page itself (its queries,
charts and tenant scoping) is :mod:`netrun.llm.telemetry.dashboard`'s.

Registered when Django's admin autodiscovers :mod:`netrun.llm.admin`, which imports this module.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from netrun.llm.models import Dashboard
from netrun.llm.telemetry.dashboard.views import render_dashboard

__all__ = ["DashboardAdmin"]


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The spend dashboard as a page of the admin site: ``admin/netrun_llm/dashboard/``
    (``admin:netrun_llm_dashboard``), linked from the admin index as "Spend dashboard".

    Served by the admin's own URLs, so it works wherever the project routes ``admin/``. Any
    active staff user may open it; superusers see every tenant, other staff only theirs
    (see :mod:`netrun.llm.telemetry.dashboard`). Nothing here adds, changes or deletes.
    """

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard_view)
        return [
            path("", view, name="netrun_llm_dashboard"),
            # The name the admin index links by.
            path("", view, name="netrun_llm_dashboard_changelist"),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        return render_dashboard(request, self.admin_site)

    def _staff(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._staff(request)

    def has_add_permission(self, request: HttpRequest, *args: Any, **kwargs: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
