"""Views of the RLS scenarios: they count rows with raw SQL, below the ORM wall."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path

from netrun.core.context import tenant_context


def _count() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rlsapp_project")
        (rows,) = cursor.fetchone()
        cursor.execute("SELECT pg_backend_pid(), current_setting('netrun.tenant_id', true)")
        pid, setting = cursor.fetchone()
    return {"rows": rows, "pid": pid, "setting": setting}


def count_view(request: HttpRequest) -> JsonResponse:
    tenant = request.GET.get("tenant")
    if tenant:
        with tenant_context(tenant):
            return JsonResponse(_count())
    return JsonResponse(_count())


async def async_count_view(request: HttpRequest) -> JsonResponse:
    tenant = request.GET.get("tenant")
    if tenant:
        with tenant_context(tenant):
            return JsonResponse(await sync_to_async(_count)())
    return JsonResponse(await sync_to_async(_count)())


urlpatterns = [
    path("count/", count_view),
    path("acount/", async_count_view),
]
