"""Keep standard output for a document (JSON, SARIF): whatever else writes there goes to stderr.

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
from typing import Any, TextIO

__all__ = ["DocumentCommandMixin", "stdout_to_stderr"]


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None  # an in-memory stream (a test runner's capture): nothing shares it


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[TextIO]:
    """Send everything written to stdout inside the block (by any object) to stderr.

    Yields a stream to the real standard output, for the document itself.
    """
    stdout, stderr = sys.stdout, sys.stderr
    out_fd, err_fd = _fileno(stdout), _fileno(stderr)
    if out_fd is None or err_fd is None or out_fd == err_fd:
        with contextlib.redirect_stdout(stderr):
            yield stdout
        return
    stdout.flush()
    saved = os.dup(out_fd)
    document = os.fdopen(os.dup(saved), "w", encoding=stdout.encoding, closefd=True)
    try:
        os.dup2(err_fd, out_fd)
        with contextlib.redirect_stdout(stderr):
            yield document
    finally:
        # Lines buffered by objects holding the old stdout belong to the block: flush them to
        # stderr before the descriptor points at stdout again.
        with contextlib.suppress(OSError, ValueError):
            stdout.flush()
        document.close()
        os.dup2(saved, out_fd)
        os.close(saved)


class DocumentCommandMixin:
    """For a management command whose stdout may be a document (``--json``, SARIF).

    Everything the command's run writes to stdout besides ``self.stdout`` goes to stderr:
    the system checks Django runs before ``handle()`` included (they build every settings
    class and may log), and the project's log handlers that hold stdout.
    """

    def execute(self, *args: Any, **options: Any) -> Any:
        with stdout_to_stderr() as document:
            if not options.get("stdout"):
                options["stdout"] = document
            return super().execute(*args, **options)  # type: ignore[misc]
