"""gunicorn glue: an access log without secrets.

In the gunicorn configuration file (or ``--logger-class``)::

    logger_class = "netrun.logging.gunicorn.GunicornLogger"

Every access line then has sensitive query parameters, secret-named headers
(``%({authorization}i)s``), JWTs, ``sk-`` keys and URL passwords replaced, whatever
``access_log_format`` says. uvicorn workers under gunicorn log through ``uvicorn.access``,
which gets the same filter.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped, import-not-found, unused-ignore]

from netrun.logging.access import install_access_filters

__all__ = ["GunicornLogger"]


class GunicornLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn's logger with :class:`~netrun.logging.access.RedactingAccessFilter` on the
    access loggers, so the atoms are redacted before the access format is applied."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # Filters survive the handler changes gunicorn makes on reload (SIGHUP).
        install_access_filters()
