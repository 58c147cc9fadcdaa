"""The RLS suite's settings plus ``retroapp``, imported from the temporary directory the
test puts on ``PYTHONPATH`` (a copy the test may edit and migrate)."""

from __future__ import annotations

from tests.rbac_rls.settings import *  # noqa: F403
from tests.rbac_rls.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "retroapp"]
