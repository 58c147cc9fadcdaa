"""Sampled decision logging."""

from __future__ import annotations

from netrun.cors import Decision, DecisionLogger
from netrun.logging.testing import capture_logs

BLOCKED = Decision(False, "not_allowed", "https://evil.io")
ALLOWED = Decision(True, "listed", "https://app.example.com")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_per_reason_then_silence_until_the_window_ends() -> None:
    clock = Clock()
    decisions = DecisionLogger(interval=60, burst=2, clock=clock)
    with capture_logs() as logs:
        written = [decisions.log(BLOCKED, "https://evil.io") for _ in range(5)]
        assert decisions.log(ALLOWED, "https://app.example.com")  # another group
        clock.now = 61
        assert decisions.log(BLOCKED, "https://evil.io")

    assert written == [True, True, False, False, False]
    blocked = [log for log in logs if log["event"] == "cors_blocked"]
    assert len(blocked) == 3
    assert "suppressed" not in blocked[0]
    assert blocked[2]["suppressed"] == 3


def test_interval_zero_logs_every_decision() -> None:
    decisions = DecisionLogger(interval=0, burst=1)
    with capture_logs() as logs:
        for _ in range(4):
            decisions.log(BLOCKED, "https://evil.io")
    assert len(logs) == 4


def test_events_carry_the_contract_fields() -> None:
    with capture_logs() as logs:
        DecisionLogger().log(ALLOWED, "https://app.example.com", preset="production")
    (event,) = logs
    assert event["event"] == "cors_decision"
    assert event["operation"] == "cors_validation"
    assert event["result"] == "allowed"
    assert event["log_level"] == "info"
    assert event["preset"] == "production"
