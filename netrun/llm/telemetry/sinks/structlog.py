"""One structured log event per request, through ``netrun.logging`` (and so its redaction).

Events are ``llm_request`` with ``result=success|error`` and the record's fields as keys;
the request's correlation, tenant and user IDs are fields of the record, because the flush
thread that writes the event runs outside the request's context.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Sequence

from netrun.llm.telemetry.records import LLMRequestMetrics
from netrun.logging import get_logger

__all__ = ["StructlogSink"]


class StructlogSink:
    """Logs each record as an ``llm_request`` event at ``info`` (errors at ``warning``)."""

    name = "structlog"

    def __init__(
        self, logger_name: str = "netrun.llm.telemetry", event: str = "llm_request"
    ) -> None:
        self._logger = get_logger(logger_name)
        self._event = event

    def write(self, records: Sequence[LLMRequestMetrics]) -> None:
        for record in records:
            fields = record.as_dict()
            fields["duration_ms"] = fields.pop("latency_ms")
            # The ARCHITECTURE's operation fields, so dashboards built on logs read these too.
            fields["result"] = "success" if record.success else "error"
            log = self._logger.info if record.success else self._logger.warning
            log(self._event, **fields)
