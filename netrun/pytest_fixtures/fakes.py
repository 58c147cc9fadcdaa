"""Stand-ins for remote services: Azure Key Vault and an in-memory LLM telemetry sink."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netrun.llm.telemetry import InMemorySink, LLMRequestMetrics, TelemetryCollector

__all__ = ["FakeKeyVault", "TelemetryCapture"]


class FakeKeyVault:
    """The two methods of ``azure.keyvault.secrets.SecretClient`` that netrun.config calls.

    Holds secrets in a dict; ``fetched`` lists the names whose values were read, so a test
    can prove a secret is fetched lazily (or not at all). A missing name raises
    ``LookupError``, as the SDK raises ``ResourceNotFoundError``.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self.secrets: dict[str, str] = dict(secrets or {})
        self.disabled: set[str] = set()
        self.fetched: list[str] = []
        self.listed = 0

    def set(self, name: str, value: str) -> None:
        self.secrets[name] = value

    def disable(self, name: str) -> None:
        """Keep the secret but mark it disabled, as the portal's "enabled: no" does."""
        self.disabled.add(name)

    def list_properties_of_secrets(self, **kwargs: Any) -> list[SimpleNamespace]:
        self.listed += 1
        return [
            SimpleNamespace(name=name, enabled=name not in self.disabled) for name in self.secrets
        ]

    def get_secret(self, name: str, version: str | None = None, **kwargs: Any) -> SimpleNamespace:
        self.fetched.append(name)
        if name not in self.secrets:
            raise LookupError(f"SecretNotFound: {name}")
        return SimpleNamespace(name=name, value=self.secrets[name])


@dataclass
class TelemetryCapture:
    """The default LLM telemetry collector of a test, and the in-memory sink it writes to."""

    collector: TelemetryCollector
    sink: InMemorySink

    @property
    def records(self) -> list[LLMRequestMetrics]:
        """Every record so far (the collector's buffer is flushed first)."""
        self.collector.flush()
        return self.sink.records

    def clear(self) -> None:
        self.collector.flush()
        self.sink.clear()
