"""The suite's URLconf with netrun's error handlers, as the errors docs tell projects."""

from __future__ import annotations

from tests.urls import urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]

handler404 = "netrun.errors.views.handler404"
handler500 = "netrun.errors.views.handler500"
