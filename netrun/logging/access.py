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
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Final
from urllib.parse import unquote_plus

from netrun.logging.redaction import REDACTED, Redactor, redact_text

__all__ = [
    "ACCESS_LOGGERS",
    "RedactingAccessFilter",
    "install_access_filters",
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


def install_access_filters(names: Iterable[str] = ACCESS_LOGGERS) -> None:
    """Attach one :class:`RedactingAccessFilter` to each access logger (idempotent).

    A logger's filters survive ``dictConfig`` (it replaces handlers, not filters), so this
    holds whether the server configures its logging before or after it runs.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(item, RedactingAccessFilter) for item in logger.filters):
            logger.addFilter(RedactingAccessFilter())


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
