from __future__ import annotations

from django.contrib import admin
from django.urls import path

from example_project.helpdesk.views import home
from netrun.core.views import health

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
]
