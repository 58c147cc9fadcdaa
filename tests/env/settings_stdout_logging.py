"""The test settings of a 12-factor project: netrun logs every event, DEBUG up, to stdout."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

NETRUN_LOGGING_CONFIGURE = True
NETRUN_LOGGING_LEVEL = "DEBUG"
NETRUN_LOGGING_JSON = True
