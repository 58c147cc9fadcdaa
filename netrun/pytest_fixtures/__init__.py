"""Netrun pytest fixtures.

A pytest plugin (``pytest11`` entry point ``netrun``) with fixtures for every Netrun package.
Installing the distribution registers it; the fixtures live in
``netrun.pytest_fixtures.plugin`` and are all named ``netrun_*``.

This module imports without Django settings configured.
"""

from __future__ import annotations

__all__: list[str] = []
