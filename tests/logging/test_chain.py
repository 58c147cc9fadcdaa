"""The one processor of netrun's chain: context read once, redaction before netrun's own
values, and the values a client chose (its correlation ID) still checked."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from netrun.core.context import (
    TraceContext,
    correlation_context,
    tenant_context,
    trace_context,
    user_context,
)
from netrun.logging import bind_context, get_logger, unbind_context
from netrun.logging._chain import iso_timestamp
from netrun.logging.redaction import REDACTED
from tests.logging.conftest import JsonStream

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"


def test_explicit_values_win_over_bound_ones_which_win_over_netruns_context(
    json_logs: JsonStream,
) -> None:
    with correlation_context("ctx-id"), tenant_context("ctx-tenant"), user_context("u-1"):
        bind_context(tenant_id="bound-tenant", region="eu")
        try:
            get_logger("tests.chain").info("ordered", correlation_id="explicit-id")
        finally:
            unbind_context("tenant_id", "region")
    [event] = json_logs.named("ordered")
    assert event["correlation_id"] == "explicit-id"
    assert event["tenant_id"] == "bound-tenant"
    assert event["user_id"] == "u-1"
    assert event["region"] == "eu"


def test_context_values_that_look_like_secrets_are_redacted(json_logs: JsonStream) -> None:
    # A client picks its correlation ID (dots and dashes are valid): a JWT there is echoed
    # nowhere.
    trace = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    with (
        correlation_context(JWT),
        tenant_context("sk-abcdefghijklmnopq"),
        user_context(f"Bearer {JWT}"),
        trace_context(trace),
    ):
        get_logger("tests.chain").info("context_secrets")
    [event] = json_logs.named("context_secrets")
    assert event["correlation_id"] == REDACTED
    assert event["tenant_id"] == REDACTED
    assert event["user_id"] == f"Bearer {REDACTED}"
    assert (event["trace_id"], event["span_id"]) == (trace.trace_id, trace.span_id)


def test_a_bound_secret_and_a_stack_are_redacted(json_logs: JsonStream) -> None:
    bind_context(api_key="k-1", note=f"token {JWT}")
    try:
        get_logger("tests.chain").info("stacked", stack_info=True)  # eyJhbGciOi.eyJzdWIi.sig
    finally:
        unbind_context("api_key", "note")
    [event] = json_logs.named("stacked")
    assert event["api_key"] == REDACTED
    assert event["note"] == f"token {REDACTED}"
    assert "stacked" in event["stack"]  # the source line of the call...
    assert "eyJhbGciOi.eyJzdWIi.sig" not in event["stack"]  # ... without the JWT in it


def test_levels_are_named_like_the_stdlib(json_logs: JsonStream) -> None:
    logger = get_logger("tests.chain")
    logger.warning("w")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("e")
    logger.log(logging.CRITICAL, "c")
    levels = {event["event"]: event["level"] for event in json_logs.events()}
    assert levels == {"w": "warning", "e": "error", "c": "critical"}


def test_timestamps_are_utc_iso_8601_with_microseconds() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = iso_timestamp()
    after = datetime.now(timezone.utc)
    assert len(stamp) == len("2026-12-05T03:27:26.113843Z")
    assert stamp.endswith("Z")
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before <= parsed <= after
