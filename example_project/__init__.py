"""A small multi-tenant helpdesk SaaS that uses every Netrun app."""

from __future__ import annotations

from netrun.core.deps import is_available

# The Celery app is loaded with Django so that @shared_task uses it (Celery's Django recipe).
if is_available("celery"):
    from example_project.celery import app as celery_app

    __all__ = ["celery_app"]
