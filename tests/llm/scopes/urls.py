"""The URLs a project adds for the scope budgets' API, next to the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/llm/", include("netrun.llm.policy.urls")),
]
