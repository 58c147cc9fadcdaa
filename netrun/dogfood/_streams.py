"""Keep standard output for the report: whatever else writes there goes to standard error.

A project that logs to stdout (12-factor) would otherwise interleave its log lines (the
round trip's ``request_started``, ``config_loaded``...) with the report, and ``--json`` would
not parse. Log handlers hold the stdout stream they were given when logging was configured,
so swapping ``sys.stdout`` is not enough: the file descriptor is pointed at stderr too.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO

__all__ = ["stdout_to_stderr"]


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None  # an in-memory stream (a test runner's capture): nothing shares it


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout inside the block (by any object) to stderr."""
    stdout, stderr = sys.stdout, sys.stderr
    out_fd, err_fd = _fileno(stdout), _fileno(stderr)
    if out_fd is None or err_fd is None or out_fd == err_fd:
        with contextlib.redirect_stdout(stderr):
            yield
        return
    stdout.flush()
    saved = os.dup(out_fd)
    try:
        os.dup2(err_fd, out_fd)
        with contextlib.redirect_stdout(stderr):
            yield
    finally:
        # Lines buffered by objects holding the old stdout belong to the block: flush them to
        # stderr before the descriptor points at stdout again.
        with contextlib.suppress(OSError, ValueError):
            stdout.flush()
        os.dup2(saved, out_fd)
        os.close(saved)
