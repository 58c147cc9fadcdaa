"""Keep standard output for the report: :func:`netrun.core.streams.stdout_to_stderr`."""

from __future__ import annotations

from netrun.core.streams import stdout_to_stderr

__all__ = ["stdout_to_stderr"]
