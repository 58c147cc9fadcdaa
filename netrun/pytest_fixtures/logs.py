"""``CapturedLogs``: the structlog events of a test, with assertion helpers."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["CapturedLogs"]


def _matches(entry: MutableMapping[str, Any], event: str | None, values: dict[str, Any]) -> bool:
    if event is not None and entry.get("event") != event:
        return False
    return all(key in entry and entry[key] == value for key, value in values.items())


class CapturedLogs:
    """Events captured by :func:`netrun.logging.testing.capture_logs`, as a sink sees them.

    Each event is a dict: ``event``, ``log_level``, ``logger``, the request context
    (``correlation_id``, ``tenant_id``, ...) and the event's own keys, already redacted.
    """

    def __init__(self, entries: list[MutableMapping[str, Any]]) -> None:
        self._entries = entries

    @property
    def events(self) -> list[dict[str, Any]]:
        """A copy of the events captured so far, oldest first."""
        return [dict(entry) for entry in self._entries]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, event: str | None = None, **values: Any) -> list[dict[str, Any]]:
        """The events named ``event`` (any, when ``None``) whose keys equal ``values``."""
        return [dict(entry) for entry in self._entries if _matches(entry, event, values)]

    def assert_logged(self, event: str, **values: Any) -> dict[str, Any]:
        """Fail unless an event ``event`` with ``values`` was logged; return the first one."""
        found = self.find(event, **values)
        if not found:
            raise AssertionError(self._explain(f"no {event!r} event with {values!r}", event))
        return found[0]

    def assert_not_logged(self, event: str, **values: Any) -> None:
        """Fail if an event ``event`` with ``values`` (all of them, when empty) was logged."""
        found = self.find(event, **values)
        if found:
            raise AssertionError(f"{event!r} was logged {len(found)} time(s): {found!r}")

    def clear(self) -> None:
        """Forget the events captured so far (capturing goes on)."""
        self._entries.clear()

    def _explain(self, problem: str, event: str) -> str:
        same_name = self.find(event)
        if same_name:
            return f"{problem}; events named {event!r}: {same_name!r}"
        names = [entry.get("event") for entry in self._entries]
        return f"{problem}; events logged: {names!r}"
