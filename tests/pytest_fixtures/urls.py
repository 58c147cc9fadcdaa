from __future__ import annotations

from django.urls import path

from tests.pytest_fixtures.views import WhoAmI

urlpatterns = [path("whoami/", WhoAmI.as_view())]
