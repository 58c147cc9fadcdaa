"""Support for the deprecated ``netrun_*`` top-level modules in ``compat/``."""

from __future__ import annotations

import sys
import warnings
from types import FrameType

__all__ = ["warn_deprecated_module"]

_IMPORT_MACHINERY = ("<frozen importlib", "importlib/__init__.py", "importlib\\__init__.py")


def warn_deprecated_module(old: str, new: str, removed_in: str = "3.0") -> None:
    """Emit one ``DeprecationWarning`` for importing ``old``, attributed to the importer.

    Called at the top level of a shim module, so Python's import system runs it once per
    process. The warning points at the line that imported the shim (not at importlib's
    frames), so ``-W error::DeprecationWarning:myapp`` style filters and pytest's
    ``filterwarnings`` match the user's own module.
    """
    shim = sys._getframe(1)  # the shim module
    shim_file = shim.f_code.co_filename
    frame: FrameType | None = shim.f_back
    while frame is not None and (
        frame.f_code.co_filename == shim_file
        or any(marker in frame.f_code.co_filename for marker in _IMPORT_MACHINERY)
    ):
        frame = frame.f_back
    message = (
        f"{old} is deprecated and will be removed in netrun {removed_in}; import from {new} instead"
    )
    if frame is None:  # pragma: no cover - imported with no Python frame above (embedding)
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return
    warnings.warn_explicit(
        message,
        DeprecationWarning,
        filename=frame.f_code.co_filename,
        lineno=frame.f_lineno,
        module=frame.f_globals.get("__name__", "<unknown>"),
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
    )
