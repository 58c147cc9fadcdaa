"""The Netrun packages and their levels, as data (ARCHITECTURE.md, section 1)."""

from __future__ import annotations

__all__ = ["APP_EXTRAS", "LEVELS", "NETRUN_APPS"]

#: Each ``netrun.*`` package with its level: a package imports only from its level or below.
LEVELS: dict[str, int] = {
    "netrun.core": 0,
    "netrun.errors": 0,
    "netrun.logging": 1,
    "netrun.config": 2,
    "netrun.env": 2,
    "netrun.auth": 2,
    "netrun.oauth": 2,
    "netrun.cors": 3,
    "netrun.ratelimit": 3,
    "netrun.db_pool": 3,
    "netrun.rbac": 3,
    "netrun.llm": 3,
    "netrun.pytest_fixtures": 4,
    "netrun.dogfood": 4,
}

#: The Django apps of the suite, in level order: the ``INSTALLED_APPS`` entries.
NETRUN_APPS: tuple[str, ...] = tuple(LEVELS)

#: The apps whose package needs an extra to import at all (``pip install "netrun[auth]"``).
#: Under a base install they are simply not installed: ``netrun doctor`` says which extra
#: brings each in, and fails only for an app that ``INSTALLED_APPS`` names.
APP_EXTRAS: dict[str, str] = {
    "netrun.auth": "auth",
    "netrun.oauth": "oauth",
}
