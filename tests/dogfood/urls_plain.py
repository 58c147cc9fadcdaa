"""The suite's routes without netrun's error handlers: Django's HTML 404 answers a bad path."""

from __future__ import annotations

from tests.urls import urlpatterns

__all__ = ["urlpatterns"]
