"""Fixtures for the netrun.logging tests."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from netrun.core.context import clear
from netrun.logging import clear_context, configure_logging
from netrun.logging.autoconfig import setup_from_settings


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Every test starts and ends with the suite's logging set-up and an empty context."""
    root = logging.getLogger()
    level = root.level
    yield
    clear_context()
    clear()
    setup_from_settings()
    root.setLevel(level)


class JsonStream(io.StringIO):
    """A stream that parses the JSON lines written to it."""

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.getvalue().splitlines() if line.strip()]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [item for item in self.events() if item.get("event") == event]


@pytest.fixture
def json_logs() -> JsonStream:
    """netrun configured for JSON to an in-memory stream, structlog and stdlib alike."""
    stream = JsonStream()
    configure_logging(app_name="tests", environment="test", log_level="DEBUG", stream=stream)
    return stream
