"""netrun.errors.conf: settings read at each use, with defaults."""

from __future__ import annotations

from django.test import override_settings

from netrun.errors.conf import conf


def test_defaults() -> None:
    assert conf.problem_json is False
    assert tuple(conf.json_path_prefixes) == ("/api/",)


def test_overrides_are_seen_at_once_and_undone() -> None:
    with override_settings(
        NETRUN_ERRORS_PROBLEM_JSON=True, NETRUN_ERRORS_JSON_PATH_PREFIXES=["/v1/"]
    ):
        assert conf.problem_json is True
        assert list(conf.json_path_prefixes) == ["/v1/"]
    assert conf.problem_json is False
