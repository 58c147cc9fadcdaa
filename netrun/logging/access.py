"""Access logs without secrets: runserver, uvicorn and gunicorn.

An access line carries the request's URL, and a query string is where clients put
``?password=...``, ``?token=eyJ...`` or ``?api_key=sk-...``. :class:`RedactingAccessFilter`
cleans the records of the access loggers before any handler formats them, with netrun's
rules: a query parameter whose name is a sensitive key (``password``, ``secret``, ``token``,
``api_key``, ...) loses its value, and JWTs, ``sk-`` keys, bearer tokens and URL passwords
are replaced wherever they appear.

Netrun attaches the filter by default to the access loggers of runserver
(``django.server``), uvicorn (``uvicorn.access``) and gunicorn (``gunicorn.access``) when it
sets up logging (its closed default, :func:`~netrun.logging.configure_logging`, or Django's
``ready()``); :func:`install_access_filters` does it by hand. For explicit configuration:

* ``LOGGING``/``dictConfig``: ``{"()": "netrun.logging.access.RedactingAccessFilter"}`` as
  a filter of the access logger;
* uvicorn: ``uvicorn.run(app, log_config=uvicorn_log_config())``;
* gunicorn: ``logger_class = "netrun.logging.gunicorn.GunicornLogger"``.

Framework-neutral.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Final
from urllib.parse import unquote_plus

from netrun.logging.redaction import REDACTED, Redactor, redact_text

__all__ = [
    "ACCESS_LOGGERS",
    "AccessCorrelationFilter",
    "RedactingAccessFilter",
    "install_access_filters",
    "note_served_correlation_id",
    "redact_access_text",
    "uvicorn_log_config",
]

#: The loggers that write access lines: runserver, uvicorn, gunicorn.
ACCESS_LOGGERS: Final = ("django.server", "uvicorn.access", "gunicorn.access")

# name=value at the start of a string (a bare query string) or after ?, & or ;. The value
# stops where a URL or a log line would end it: &, ;, #, whitespace or a quote.
_QUERY_PARAM = re.compile(r"(?P<head>(?:^|[?&;])(?P<name>[^=&;#?\s\"']+)=)(?P<value>[^&;#\s\"']*)")
# gunicorn's header and environ atoms: {authorization}i, {set-cookie}o, {http_cookie}e.
_ATOM = re.compile(r"^\{(?P<name>[^}]+)\}[ioe]$")

_default_redactor: Redactor | None = None


def _redactor() -> Redactor:
    global _default_redactor
    if _default_redactor is None:
        _default_redactor = Redactor()
    return _default_redactor


def _is_secret_field(redactor: Redactor, name: str, value: str) -> bool:
    # The redactor's own verdict for a field, counts rule included (a query value is text).
    return redactor.redact({name: value})[name] is REDACTED


def redact_access_text(text: str, redactor: Redactor | None = None) -> str:
    """``text`` (a URL, a request line, a query string) with secret values replaced."""
    active = redactor or _redactor()
    if "=" in text:

        def replace(match: re.Match[str]) -> str:
            name = unquote_plus(match["name"])
            if match["value"] and _is_secret_field(active, name, unquote_plus(match["value"])):
                return match["head"] + REDACTED
            return match[0]

        text = _QUERY_PARAM.sub(replace, text)
    return redact_text(text)


class RedactingAccessFilter(logging.Filter):
    """A :class:`logging.Filter` that removes secrets from access log records; never drops one.

    Cleans the message and its arguments, positional (runserver, uvicorn) or a mapping
    (gunicorn's atoms, changed in place so gunicorn's "missing atom is -" rule still holds).
    ``sensitive_keys`` and ``extra_sensitive_keys`` are the :class:`~.redaction.Redactor`'s.
    """

    def __init__(
        self,
        name: str = "",
        *,
        sensitive_keys: Iterable[str] | None = None,
        extra_sensitive_keys: Iterable[str] = (),
    ) -> None:
        super().__init__(name)
        custom = sensitive_keys is not None or bool(extra_sensitive_keys)
        self.redactor = (
            Redactor(sensitive_keys, extra_sensitive_keys=extra_sensitive_keys)
            if custom
            else _redactor()
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_access_text(record.msg, self.redactor)
        args = record.args
        if isinstance(args, Mapping):
            target = args if isinstance(args, MutableMapping) else dict(args)
            for key, value in list(target.items()):
                target[key] = self.redact_atom(key, value)
            record.args = target
        elif isinstance(args, tuple):
            record.args = tuple(self._redact_value(value) for value in args)
        return True

    def _redact_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact_access_text(value, self.redactor)
        return value

    def redact_atom(self, key: Any, value: Any) -> Any:
        """``value`` of gunicorn atom (or any field) ``key``, redacted."""
        if isinstance(key, str) and isinstance(value, str):
            atom = _ATOM.match(key)
            # A header or environ variable named like a secret (Authorization, Cookie,
            # HTTP_X_API_KEY) goes whole, whatever it looks like.
            if atom is not None and _is_secret_field(self.redactor, atom["name"], value):
                return REDACTED
        return self._redact_value(value)


#: The access loggers that log in the thread that served the request, after the response:
#: :class:`AccessCorrelationFilter` gives their lines the request's correlation ID.
THREAD_ACCESS_LOGGERS: Final = ("django.server",)

# The correlation ID of the response this thread served last, until its access line takes it.
_served = threading.local()


def note_served_correlation_id(correlation_id: str | None) -> None:
    """Record the correlation ID of the response this thread has just produced.

    The correlation middleware calls it: runserver writes its access line after the
    response, in the same thread, when the request's context is already restored.
    """
    _served.correlation_id = correlation_id


class AccessCorrelationFilter(logging.Filter):
    """Give an access record the correlation ID of the request it reports.

    Sets ``record.correlation_id`` to the ID :func:`note_served_correlation_id` recorded in
    this thread, or ``None`` when no request of this thread passed the correlation
    middleware (a static file runserver serves itself): the line then carries no ID rather
    than the process's, which would be wrong. Each ID is used once.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = getattr(_served, "correlation_id", None)
        _served.correlation_id = None
        return True


def install_access_filters(names: Iterable[str] = ACCESS_LOGGERS) -> None:
    """Attach one :class:`RedactingAccessFilter` to each access logger (idempotent), and an
    :class:`AccessCorrelationFilter` to runserver's.

    A logger's filters survive ``dictConfig`` (it replaces handlers, not filters), so this
    holds whether the server configures its logging before or after it runs.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(item, RedactingAccessFilter) for item in logger.filters):
            logger.addFilter(RedactingAccessFilter())
        if name in THREAD_ACCESS_LOGGERS and not any(
            isinstance(item, AccessCorrelationFilter) for item in logger.filters
        ):
            logger.addFilter(AccessCorrelationFilter())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default ``log_config`` with the redacting filter on ``uvicorn.access``::

    uvicorn.run("app:app", log_config=uvicorn_log_config())
    """
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["netrun_redact"] = {
        "()": "netrun.logging.access.RedactingAccessFilter"
    }
    access = config.setdefault("loggers", {}).setdefault("uvicorn.access", {})
    access["filters"] = [*access.get("filters", []), "netrun_redact"]
    return config
