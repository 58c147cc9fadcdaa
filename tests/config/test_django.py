"""settings.py helpers: typed reads, URL parsing, problems recorded instead of raised."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import django
import pytest

from netrun.config.django import _MAILER_OPTIONS, MAILERS_SINCE, Env, as_mailers, problems


def ids() -> dict[str, str]:
    return {problem.variable: problem.check_id for problem in problems()}


def test_scalars_parse_and_defaults_apply() -> None:
    env = Env(environ={"DEBUG": "yes", "WORKERS": "4", "RATIO": "0.5", "HOSTS": "a, b,,"})
    assert env.bool("DEBUG") is True
    assert env.int("WORKERS") == 4
    assert env.float("RATIO") == 0.5
    assert env.list("HOSTS") == ["a", "b"]
    assert env.str("UNSET", default="fallback") == "fallback"
    assert env.json("UNSET", default={"a": 1}) == {"a": 1}
    assert env.choice("UNSET", ["x", "y"], default="y") == "y"
    assert "DEBUG" in env
    assert "UNSET" not in env
    assert problems() == ()


def test_dollar_values_are_not_treated_as_references() -> None:
    # environ.Env would look up a variable named "ecr3t" here.
    env = Env(environ={"DJANGO_SECRET_KEY": "$ecr3t-value", "ecr3t-value": "wrong"})
    assert env.str("DJANGO_SECRET_KEY") == "$ecr3t-value"


def test_env_file_fills_in_what_the_environment_lacks(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("export DEBUG=true\nWORKERS='8'\nNAME=\"a\nb\"\n", encoding="utf-8")
    env = Env(dotenv, environ={"WORKERS": "2"})
    assert env.bool("DEBUG") is True
    assert env.int("WORKERS") == 2
    assert env.str("NAME") == "a\nb"


def test_missing_required_variable_is_recorded_not_raised() -> None:
    env = Env(environ={})
    assert env.str("DJANGO_SECRET_KEY") == ""
    assert env.bool("FLAG") is False
    assert env.int("N") == 0
    assert env.float("F") == 0.0
    assert env.list("L") == []
    assert env.json("J") is None
    assert env.choice("C", ["a", "b"]) == "a"
    assert set(ids().values()) == {"netrun.config.E001"}
    [secret] = [p for p in problems() if p.variable == "DJANGO_SECRET_KEY"]
    assert secret.message == "The environment variable DJANGO_SECRET_KEY is required but not set."


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [
        ("bool", "maybe", False),
        ("int", "four", 0),
        ("float", "1,5", 0.0),
        ("json", "{nope", None),
    ],
)
def test_bad_scalar_is_recorded_as_e002(method: str, value: str, expected: object) -> None:
    env = Env(environ={"X": value})
    assert getattr(env, method)("X") == expected
    assert ids() == {"X": "netrun.config.E002"}
    assert value not in problems()[0].message


def test_bad_choice_falls_back_to_default() -> None:
    env = Env(environ={"APP_ENVIRONMENT": "prod"})
    result = env.choice("APP_ENVIRONMENT", ["development", "production"], default="development")
    assert result == "development"
    assert "one of development, production" in problems()[0].message


def test_choice_is_case_insensitive() -> None:
    assert Env(environ={"E": "Production"}).choice("E", ["production"]) == "production"


def test_database_cache_email_and_broker_urls() -> None:
    env = Env(
        environ={
            "DATABASE_URL": "postgres://app:pw@db.internal:5432/helpdesk",
            "CACHE_URL": "redis://cache.internal:6379/1",
            "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
            "CELERY_BROKER_URL": "redis://cache.internal:6379/2",
        }
    )
    database = env.database_url()
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        5432,
        "helpdesk",
    )
    assert env.cache_url()["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    email = email_settings(env.email_url())
    assert email["EMAIL_HOST"] == "smtp.example.com"
    assert email["EMAIL_USE_TLS"] is True
    assert env.celery_broker_url() == "redis://cache.internal:6379/2"
    assert problems() == ()


def test_url_defaults_are_parsed() -> None:
    env = Env(environ={})
    assert env.database_url(default="sqlite:///db.sqlite3")["ENGINE"] == (
        "django.db.backends.sqlite3"
    )
    assert env.cache_url(default="locmemcache://x")["BACKEND"].endswith("LocMemCache")
    console = email_settings(env.email_url(default="consolemail://"))
    assert console["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert env.celery_broker_url(default="memory://") == "memory://"
    assert problems() == ()


@pytest.mark.parametrize(
    ("method", "variable", "value", "check_id", "fallback_key", "fallback"),
    [
        ("database_url", "DATABASE_URL", "nosuchdb://x/y", "netrun.config.E003", "ENGINE", "django.db.backends.dummy"),
        ("database_url", "DATABASE_URL", "just-text", "netrun.config.E003", "ENGINE", "django.db.backends.dummy"),
        ("cache_url", "CACHE_URL", "nosuchcache://x", "netrun.config.E004", "BACKEND", "django.core.cache.backends.dummy.DummyCache"),
        ("email_url", "EMAIL_URL", "pigeon://coop", "netrun.config.E005", "EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend"),
    ],
)  # fmt: skip
def test_bad_url_becomes_a_dummy_backend_and_a_problem(
    method: str, variable: str, value: str, check_id: str, fallback_key: str, fallback: str
) -> None:
    result = getattr(Env(environ={variable: value}), method)()
    if method == "email_url":
        result = email_settings(result)
    assert result[fallback_key] == fallback
    assert ids() == {variable: check_id}


def test_missing_url_without_default_is_e001() -> None:
    assert Env(environ={}).database_url()["ENGINE"] == "django.db.backends.dummy"
    assert ids() == {"DATABASE_URL": "netrun.config.E001"}


@pytest.mark.parametrize(
    "url", ["carrier-pigeon://x", "redis://", "amqp://host:notaport/", "redis://h;bogus://x"]
)
def test_bad_broker_url_is_e006(url: str) -> None:
    assert Env(environ={"CELERY_BROKER_URL": url}).celery_broker_url() == "memory://"
    assert ids() == {"CELERY_BROKER_URL": "netrun.config.E006"}


def test_broker_failover_list_is_accepted() -> None:
    url = "amqp://a.internal//;amqp://b.internal//"
    assert Env(environ={"CELERY_BROKER_URL": url}).celery_broker_url() == url
    assert problems() == ()


def test_missing_broker_without_default_is_e001() -> None:
    assert Env(environ={}).celery_broker_url() == "memory://"
    assert ids() == {"CELERY_BROKER_URL": "netrun.config.E001"}


def email_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The e-mail settings among ``values`` as ``EMAIL_*`` names, whichever form this Django
    takes (``EMAIL_*`` before 6.1, ``MAILERS`` from 6.1 on)."""
    settings = {k: v for k, v in values.items() if k.startswith("EMAIL_") or k == "MAILERS"}
    if django.VERSION[:2] < MAILERS_SINCE:
        assert "MAILERS" not in settings
        return settings
    assert set(settings) == {"MAILERS"}  # no deprecated EMAIL_* name on Django 6.1+
    mailer = settings["MAILERS"]["default"]
    names = {option: name for name, option in _MAILER_OPTIONS.items()}
    return {"EMAIL_BACKEND": mailer["BACKEND"]} | {
        names[option]: value for option, value in mailer.get("OPTIONS", {}).items()
    }


def test_email_url_gives_mailers_from_django_6_1_and_email_settings_before() -> None:
    email = Env(environ={"EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587"}).email_url()
    if django.VERSION[:2] >= MAILERS_SINCE:
        assert email == {
            "MAILERS": {
                "default": {
                    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "OPTIONS": {
                        "host": "smtp.example.com",
                        "port": 587,
                        "username": "mailer",
                        "password": "pw",
                        "use_tls": True,
                    },
                }
            }
        }
    else:
        assert email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    # The console backend takes no connection options: none are passed to it.
    assert as_mailers(
        {"EMAIL_BACKEND": "x.Console", "EMAIL_HOST": None, "EMAIL_FILE_PATH": ""}
    ) == {"MAILERS": {"default": {"BACKEND": "x.Console"}}}
