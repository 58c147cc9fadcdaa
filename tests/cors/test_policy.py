"""The policy core, without Django: presets, strictness, decisions, headers."""

from __future__ import annotations

from typing import Any

import pytest

from netrun.cors import (
    PRESETS,
    CORSConfig,
    PolicyOverride,
    PolicySpec,
    build_policy,
    compile_policy,
    csrf_trusted_origins,
)
from netrun.cors.presets import LOOPBACK_ORIGIN_REGEX
from netrun.errors import CORSValidationError

PRODUCTION = PolicySpec(
    preset="production",
    environment="production",
    origins=("https://app.example.com",),
    origin_regexes=(r"https://example\.com", r"https://[a-z0-9-]+\.tenant\.example\.com"),
    allow_credentials=True,
)


def decide(spec: PolicySpec, origin: str) -> tuple[bool, str]:
    decision = build_policy(spec).decide(origin)
    return decision.allowed, decision.reason


def test_regexes_always_match_the_whole_origin() -> None:
    assert decide(PRODUCTION, "https://example.com") == (True, "regex")
    assert decide(PRODUCTION, "https://example.com.evil.io") == (False, "not_allowed")
    assert decide(PRODUCTION, "https://acme.tenant.example.com") == (True, "regex")
    assert decide(PRODUCTION, "https://acme.tenant.example.com.evil.io") == (False, "not_allowed")


def test_anchors_in_a_regex_change_nothing() -> None:
    spec = PolicySpec(origin_regexes=(r"^https://anchored\.example\.com$",))
    assert decide(spec, "https://anchored.example.com") == (True, "regex")


def test_production_refuses_http_from_every_source() -> None:
    spec = PolicySpec(
        preset="custom", environment="production", origin_regexes=(r"https?://web\.example\.com",)
    )
    assert decide(spec, "https://web.example.com") == (True, "regex")
    assert decide(spec, "http://web.example.com") == (False, "insecure_scheme")


def test_null_needs_listing_in_development() -> None:
    assert decide(PolicySpec(), "null") == (False, "null_origin")
    assert decide(PolicySpec(origins=("null",)), "null") == (True, "null_listed")
    policy, problems = compile_policy(
        PolicySpec(preset="staging", origins=("null",), environment="staging")
    )
    assert [problem.code for problem in problems] == ["E004"]
    assert policy.decide("null").reason == "null_origin"


def test_development_preset_allows_loopback_dev_servers() -> None:
    assert decide(PolicySpec(), "http://localhost:5173") == (True, "regex")
    assert decide(PolicySpec(), "http://127.0.0.1:8000") == (True, "regex")
    assert decide(PolicySpec(), "http://localhost.evil.io") == (False, "not_allowed")
    assert PRESETS["development"].origin_regexes == (LOOPBACK_ORIGIN_REGEX,)


def test_development_preset_in_production_drops_its_loopback_origins() -> None:
    policy, problems = compile_policy(PolicySpec(environment="production"))
    assert [problem.code for problem in problems] == ["E008"]
    assert policy.decide("https://localhost:3000").reason == "not_allowed"


def test_build_policy_raises_with_every_error_and_its_check_id() -> None:
    spec = PolicySpec(
        preset="production",
        environment="production",
        origins=("http://a.example.com", "null", "https://b.example.com/"),
        allow_all_origins=True,
        allow_credentials=True,
    )
    with pytest.raises(CORSValidationError) as error:
        build_policy(spec)
    ids = [problem["id"] for problem in error.value.details["problems"]]
    assert ids == ["netrun.cors.E005", "netrun.cors.E004", "netrun.cors.E001", "netrun.cors.E003"]
    assert error.value.status_code == 400


def test_warnings_do_not_raise() -> None:
    policy = build_policy(PolicySpec(preset="staging", origins=("http://s.example.com",)))
    assert policy.decide("http://s.example.com").allowed


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(CORSValidationError, match="Unknown CORS preset"):
        compile_policy(PolicySpec(preset="wide-open"))


def test_response_headers_for_allowed_and_blocked_decisions() -> None:
    policy = build_policy(PRODUCTION)
    allowed = policy.decide("https://app.example.com")
    assert policy.response_headers(allowed, preflight=False) == {
        "Access-Control-Allow-Origin": "https://app.example.com",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "x-correlation-id",
    }
    preflight = policy.response_headers(allowed, preflight=True)
    assert preflight["Access-Control-Max-Age"] == "3600"
    assert "Access-Control-Expose-Headers" not in preflight
    assert policy.response_headers(policy.decide("https://evil.io"), preflight=True) == {}


def test_max_age_zero_sends_no_max_age_header() -> None:
    policy = build_policy(PolicySpec(origins=("https://a.example.com",), max_age=0))
    headers = policy.response_headers(policy.decide("https://a.example.com"), preflight=True)
    assert "Access-Control-Max-Age" not in headers


def test_methods_and_headers_are_normalized_and_deduplicated() -> None:
    policy = build_policy(
        PolicySpec(allow_methods=("get", "GET", "post"), allow_headers=("X-Token", "x-token"))
    )
    assert policy.allow_methods == ("GET", "POST")
    assert policy.allow_headers == ("x-token",)


def test_signal_allows_only_what_no_hard_rule_refused() -> None:
    policy = build_policy(PRODUCTION)
    assert policy.allow_by_signal(policy.decide("https://other.example.net")).reason == "signal"
    assert policy.allow_by_signal(policy.decide("http://other.example.net")).allowed is False


def test_override_replaces_only_what_it_sets() -> None:
    merged = PRODUCTION.merged(PolicyOverride(origins=("https://p.example.org",), max_age=5))
    assert merged.origins == ("https://p.example.org",)
    assert merged.max_age == 5
    assert merged.allow_credentials is True
    assert merged.origin_regexes == PRODUCTION.origin_regexes


def test_a_disabled_policy_reports_nothing_and_applies_nowhere() -> None:
    policy, problems = compile_policy(PolicySpec(origins=("*",), enabled=False))
    assert problems == []
    assert not policy.applies_to("/api/")


def test_spec_from_config_and_preset_name_is_case_insensitive() -> None:
    # Upper case on purpose: the validator lowercases what the environment sends.
    config = CORSConfig(
        preset="PRODUCTION",  # type: ignore[arg-type]
        allowed_origins=["https://a.example.com"],
    )
    spec = PolicySpec.from_config(config)
    assert spec.preset == "production"
    assert spec.origins == ("https://a.example.com",)
    assert spec.allow_methods is None


@pytest.mark.parametrize(
    ("environment", "preset"),
    [("development", "development"), ("testing", "development"), ("staging", "staging"),
     ("production", "production")],
)  # fmt: skip
def test_an_unset_preset_follows_the_environment(environment: Any, preset: str) -> None:
    assert PolicySpec.from_config(CORSConfig(app_environment=environment)).preset == preset
    chosen = CORSConfig(app_environment=environment, preset="oauth")
    assert PolicySpec.from_config(chosen).preset == "oauth"


def test_csrf_trusted_origins_lists_the_exact_origins() -> None:
    spec = PolicySpec(origins=("HTTPS://App.Example.com", "null", "https://b.example.com"))
    assert csrf_trusted_origins(spec) == ["https://app.example.com", "https://b.example.com"]


def test_csrf_trusted_origins_reads_the_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example.com, https://b.example.com")
    assert csrf_trusted_origins() == ["https://a.example.com", "https://b.example.com"]


def test_build_policy_defaults_to_the_project_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_PRESET", "oauth")
    assert build_policy().preset == "oauth"
