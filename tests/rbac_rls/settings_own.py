"""The RLS suite's settings with ``netrun.llm`` installed: netrun's own tenant tables."""

from __future__ import annotations

from tests.rbac_rls.settings import *  # noqa: F403
from tests.rbac_rls.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "netrun.llm"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
