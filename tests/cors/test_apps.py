"""The AppConfig and the decorator's odds and ends."""

from __future__ import annotations

from django.apps import apps

from netrun.cors import cors_policy
from netrun.cors.decorators import view_override


def test_the_app_label_does_not_clash() -> None:
    config = apps.get_app_config("netrun_cors")
    assert config.name == "netrun.cors"
    assert config.verbose_name == "Netrun CORS"


def test_a_single_origin_string_is_one_origin() -> None:
    @cors_policy(origins="https://one.example.com")
    def view() -> None: ...

    override = view_override(view)
    assert override is not None
    assert override.origins == ("https://one.example.com",)
    assert view_override(object()) is None
