"""Helpers for a 12-factor ``settings.py``, built on django-environ.

::

    from netrun.config.django import Env

    env = Env(env_file=BASE_DIR / ".env")
    DEBUG = env.bool("DJANGO_DEBUG", default=False)
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    DATABASES = {"default": env.database_url("DATABASE_URL", default="sqlite:///db.sqlite3")}
    CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
    vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
    CELERY_BROKER_URL = env.celery_broker_url("CELERY_BROKER_URL", default="memory://")

A bad or missing value does not raise while ``settings.py`` is imported (which would give a
traceback instead of a message). It is recorded, a safe stand-in is returned (a dummy
database, cache or mail backend, the default, or an empty value), and the system checks in
:mod:`netrun.config.checks` report it as an error that names the variable, so
``manage.py check``, ``migrate`` and ``runserver`` all stop with a clear message. Run
``manage.py check --deploy`` (or ``netrun doctor``) in the deploy pipeline: a WSGI server
does not run system checks.

Values are read raw: unlike ``environ.Env``, a value starting with ``$`` is never treated as
a reference to another variable, so a generated secret such as ``$ecr3t...`` is kept as is.
The ``.env`` file is parsed by python-dotenv (quotes, ``export``, multi-line values, a BOM)
without interpolation; real environment variables win over it.
"""

from __future__ import annotations

import builtins
import json
import os
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
import environ

from netrun.config._sources import read_dotenv

__all__ = [
    "CELERY_BROKER_SCHEMES",
    "MAILERS_SINCE",
    "Env",
    "EnvProblem",
    "as_mailers",
    "clear_problems",
    "problems",
]

#: Broker URL schemes Celery (kombu) understands.
CELERY_BROKER_SCHEMES = frozenset(
    {
        "amqp",
        "amqps",
        "pyamqp",
        "librabbitmq",
        "redis",
        "rediss",
        "sentinel",
        "sqs",
        "memory",
        "filesystem",
        "sqla+sqlite",
        "sqla+postgresql",
        "mongodb",
        "zookeeper",
        "kafka",
        "confluentkafka",
        "gcpubsub",
    }
)

_DUMMY_DATABASE = {"ENGINE": "django.db.backends.dummy"}
_DUMMY_CACHE = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
_DUMMY_EMAIL = {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}

#: Django 6.1 replaced ``EMAIL_BACKEND`` and the connection ``EMAIL_*`` settings with
#: ``MAILERS``; setting the old names there warns (and they go in Django 7.0).
MAILERS_SINCE = (6, 1)
#: An old ``EMAIL_*`` setting -> the mailer backend's keyword in ``MAILERS[...]["OPTIONS"]``.
_MAILER_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_TIMEOUT": "timeout",
    "EMAIL_SSL_CERTFILE": "ssl_certfile",
    "EMAIL_SSL_KEYFILE": "ssl_keyfile",
    "EMAIL_FILE_PATH": "file_path",
}

_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f", ""})


@dataclass(frozen=True)
class EnvProblem:
    """A variable ``settings.py`` could not use: reported by the system check ``check_id``."""

    check_id: str
    variable: str
    message: str
    hint: str | None = None


_lock = threading.Lock()
_problems: dict[str, EnvProblem] = {}


def problems() -> tuple[EnvProblem, ...]:
    """Every problem recorded by :class:`Env` helpers in this process."""
    with _lock:
        return tuple(_problems.values())


def clear_problems() -> None:
    with _lock:
        _problems.clear()


class _Missing:
    def __repr__(self) -> str:
        return "NOTSET"


NOTSET: Any = _Missing()


class Env:
    """Typed reads of environment variables (then ``env_file``), problems recorded, not raised.

    ``environ`` defaults to ``os.environ``; pass a mapping in tests.
    """

    def __init__(
        self,
        env_file: builtins.str | os.PathLike[builtins.str] | None = None,
        *,
        environ: Mapping[builtins.str, builtins.str] | None = None,
    ) -> None:
        self._environ = environ if environ is not None else os.environ
        self._file_values: dict[builtins.str, builtins.str] = {}
        if env_file is not None:
            self._file_values = {
                key: value for key, (value, _) in read_dotenv([Path(env_file)]).items()
            }

    # ------------------------------------------------------------------ raw access

    def raw(self, name: builtins.str) -> builtins.str | None:
        """The text of ``name`` from the environment, then the env file; ``None`` if unset."""
        value = self._environ.get(name)
        if value is None:
            value = self._file_values.get(name.upper())
        return value

    def __contains__(self, name: object) -> builtins.bool:
        return isinstance(name, builtins.str) and self.raw(name) is not None

    def _record(
        self,
        check_id: builtins.str,
        name: builtins.str,
        message: builtins.str,
        hint: builtins.str | None = None,
    ) -> None:
        with _lock:
            _problems[name] = EnvProblem(check_id, name, message, hint)

    def _missing(self, name: builtins.str, fallback: Any) -> Any:
        self._record(
            "netrun.config.E001",
            name,
            f"The environment variable {name} is required but not set.",
            f"Set {name} in the environment or in the .env file.",
        )
        return fallback

    def _invalid(
        self, name: builtins.str, expected: builtins.str, fallback: Any, check_id: builtins.str
    ) -> Any:
        # The value is never echoed: the variable may hold a secret.
        self._record(
            check_id,
            name,
            f"The environment variable {name} is not a valid {expected}.",
            f"Fix the value of {name}.",
        )
        return fallback

    # ------------------------------------------------------------------ scalars

    def str(self, name: builtins.str, default: Any = NOTSET) -> Any:
        value = self.raw(name)
        if value is None:
            return self._missing(name, "") if default is NOTSET else default
        return value

    def bool(self, name: builtins.str, default: Any = NOTSET) -> Any:
        value = self.raw(name)
        if value is None:
            return self._missing(name, False) if default is NOTSET else default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        fallback = False if default is NOTSET else default
        return self._invalid(
            name, "boolean (true/false/1/0/yes/no/on/off)", fallback, "netrun.config.E002"
        )

    def int(self, name: builtins.str, default: Any = NOTSET) -> Any:
        value = self.raw(name)
        if value is None:
            return self._missing(name, 0) if default is NOTSET else default
        try:
            return int(value.strip())
        except ValueError:
            fallback = 0 if default is NOTSET else default
            return self._invalid(name, "integer", fallback, "netrun.config.E002")

    def float(self, name: builtins.str, default: Any = NOTSET) -> Any:
        value = self.raw(name)
        if value is None:
            return self._missing(name, 0.0) if default is NOTSET else default
        try:
            return float(value.strip())
        except ValueError:
            fallback = 0.0 if default is NOTSET else default
            return self._invalid(name, "number", fallback, "netrun.config.E002")

    def list(self, name: builtins.str, default: Any = NOTSET) -> Any:
        """Comma-separated values, blanks dropped: ``a.example.com,b.example.com``."""
        value = self.raw(name)
        if value is None:
            return self._missing(name, []) if default is NOTSET else default
        return [item.strip() for item in value.split(",") if item.strip()]

    def json(self, name: builtins.str, default: Any = NOTSET) -> Any:
        value = self.raw(name)
        if value is None:
            return self._missing(name, None) if default is NOTSET else default
        try:
            return json.loads(value)
        except ValueError:
            fallback = None if default is NOTSET else default
            return self._invalid(name, "JSON document", fallback, "netrun.config.E002")

    def choice(
        self, name: builtins.str, choices: Sequence[builtins.str], default: Any = NOTSET
    ) -> Any:
        value = self.raw(name)
        if value is None:
            return self._missing(name, choices[0]) if default is NOTSET else default
        normalised = value.strip().lower()
        for choice in choices:
            if choice.lower() == normalised:
                return choice
        fallback = choices[0] if default is NOTSET else default
        return self._invalid(
            name, f"choice (one of {', '.join(choices)})", fallback, "netrun.config.E002"
        )

    # ------------------------------------------------------------------ URLs

    def database_url(
        self, name: builtins.str = "DATABASE_URL", default: Any = NOTSET
    ) -> dict[builtins.str, Any]:
        """A ``DATABASES`` entry from a URL (``postgres://``, ``sqlite:///``, ...)."""
        return self._url(
            name, default, "database URL", "netrun.config.E003", _parse_database, _DUMMY_DATABASE
        )

    def cache_url(
        self, name: builtins.str = "CACHE_URL", default: Any = NOTSET
    ) -> dict[builtins.str, Any]:
        """A ``CACHES`` entry from a URL (``redis://``, ``locmemcache://``, ...)."""
        return self._url(
            name, default, "cache URL", "netrun.config.E004", _parse_cache, _DUMMY_CACHE
        )

    def email_url(
        self, name: builtins.str = "EMAIL_URL", default: Any = NOTSET
    ) -> dict[builtins.str, Any]:
        """E-mail settings from a URL (``smtp+tls://user:pass@host:587``), for ``vars().update``.

        ``EMAIL_*`` settings before Django 6.1, ``MAILERS = {"default": ...}`` from 6.1 on
        (:func:`as_mailers`), so the same ``settings.py`` line is right on every Django.
        """
        settings = self._url(
            name, default, "e-mail URL", "netrun.config.E005", _parse_email, _DUMMY_EMAIL
        )
        return as_mailers(settings) if django.VERSION[:2] >= MAILERS_SINCE else settings

    def celery_broker_url(
        self, name: builtins.str = "CELERY_BROKER_URL", default: Any = NOTSET
    ) -> Any:
        """A Celery broker URL, checked for a scheme kombu knows (``redis://``, ``amqp://``, ...)."""
        value = self.raw(name)
        if value is None:
            if default is NOTSET:
                return self._missing(name, "memory://")
            value = default
        if _valid_broker(value):
            return value
        return self._invalid(name, "Celery broker URL", "memory://", "netrun.config.E006")

    def _url(
        self,
        name: builtins.str,
        default: Any,
        expected: builtins.str,
        check_id: builtins.str,
        parse: Any,
        dummy: dict[builtins.str, Any],
    ) -> dict[builtins.str, Any]:
        value = self.raw(name)
        if value is None:
            if default is NOTSET:
                return dict(self._missing(name, dummy))
            value = default
        try:
            parsed: dict[builtins.str, Any] = parse(value)
        except Exception:
            return dict(self._invalid(name, expected, dummy, check_id))
        return parsed


def _require_scheme(url: str) -> None:
    if "://" not in url and not url.startswith("sqlite:"):
        raise ValueError("no scheme")


def _parse_database(url: str) -> dict[str, Any]:
    _require_scheme(url)
    config: dict[str, Any] = environ.Env.db_url_config(url)
    # django-environ passes an unknown scheme through as the ENGINE; a real engine is a
    # dotted module path (register custom schemes in environ.Env.DB_SCHEMES).
    if "." not in str(config.get("ENGINE", "")):
        raise ValueError("unknown scheme")
    return config


def _parse_cache(url: str) -> dict[str, Any]:
    _require_scheme(url)
    config: dict[str, Any] = environ.Env.cache_url_config(url)
    return config


def _parse_email(url: str) -> dict[str, Any]:
    _require_scheme(url)
    config: dict[str, Any] = environ.Env.email_url_config(url)
    if not config.get("EMAIL_BACKEND"):
        raise ValueError("unknown scheme")
    return config


def as_mailers(email: dict[str, Any]) -> dict[str, Any]:
    """``EMAIL_*`` settings as Django 6.1's ``MAILERS`` setting (its ``"default"`` mailer).

    Only the options that were given are passed: a backend refuses keywords it does not take
    (the console backend has no ``host``).
    """
    options = {
        _MAILER_OPTIONS[key]: value
        for key, value in email.items()
        if key in _MAILER_OPTIONS and value not in (None, "")
    }
    mailer: dict[str, Any] = {"BACKEND": email["EMAIL_BACKEND"]}
    if options:
        mailer["OPTIONS"] = options
    return {"MAILERS": {"default": mailer}}


def _valid_broker(url: str) -> bool:
    # A broker setting may list fail-over URLs separated by ";".
    for part in url.split(";"):
        parsed = urllib.parse.urlsplit(part.strip())
        if parsed.scheme not in CELERY_BROKER_SCHEMES:
            return False
        try:
            parsed.port  # noqa: B018 - raises ValueError for a non-numeric port
        except ValueError:
            return False
        if parsed.scheme in {"redis", "rediss", "amqp", "amqps", "pyamqp"} and not parsed.hostname:
            return False
    return True
