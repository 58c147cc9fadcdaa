"""Views behind the real middleware: plain, decorated, class-based, async."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View

from netrun.cors import cors_policy


def data(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True, "method": request.method})


async def async_data(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True, "async": True})


@cors_policy(origins=["https://partner.example.org"], allow_credentials=False, max_age=60)
def partner(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True, "view": "partner"})


@cors_policy(enabled=False)
def private(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True, "view": "private"})


@cors_policy(allow_methods=["GET"], expose_headers=["x-total-count"])
class ReadOnly(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        response = JsonResponse({"ok": True, "view": "read-only"})
        response["X-Total-Count"] = "1"
        return response
