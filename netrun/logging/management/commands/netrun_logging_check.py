"""``manage.py netrun_logging_check``: show how logging is set up and log sample events.

Lets an operator see, in the real sink, what one event looks like (keys, context, redaction)
before relying on it.
"""

from __future__ import annotations

from typing import Any

from netrun.core.context import current_correlation_id
from netrun.logging._config import get_logger, logging_state
from netrun.logging.management.base import CorrelatedCommand

logger = get_logger(__name__)


class Command(CorrelatedCommand):
    help = "Log sample events through netrun.logging and print the logging set-up."

    def handle(self, *args: Any, **options: Any) -> None:
        state = logging_state()
        logger.info(
            "logging_check",
            mode=state["mode"],
            # A fake secret, to show that redaction works in this sink.
            password="not-a-real-password",  # noqa: S106
            url_example="postgresql://user:not-a-real-password@localhost/db",
        )
        self.stdout.write(f"mode: {state['mode']}")
        self.stdout.write(f"correlation_id: {current_correlation_id()}")
