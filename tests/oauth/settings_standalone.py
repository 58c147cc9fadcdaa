"""The test settings without netrun.auth: netrun.oauth must work without its sibling.

``pytest tests/oauth --ds=tests.oauth.settings_standalone``.
"""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "netrun.auth"]
