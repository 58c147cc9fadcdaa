"""The Prometheus sink's metrics by user, API key and tag: top N by spend, the rest "other"."""

from __future__ import annotations

import pytest

pytest.importorskip("prometheus_client")

from django.core.checks import run_checks
from django.test import override_settings
from prometheus_client import CollectorRegistry, generate_latest

from netrun.llm.checks import check_metrics_top_n
from netrun.llm.telemetry.sinks.prometheus import OTHER, PrometheusSink, TopN
from tests.llm.telemetry.conftest import make_record


def _values(registry: CollectorRegistry, scope: str) -> dict[str, float]:
    """``{value label: requests}`` of the scope's request counter, summed over statuses."""
    found: dict[str, float] = {}
    for family in registry.collect():
        if family.name != "netrun_llm_scope_requests":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels["scope"] == scope:
                value = sample.labels["value"]
                found[value] = found.get(value, 0.0) + sample.value
    return found


def test_the_top_n_users_by_spend_keep_their_label_and_the_rest_are_other() -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry, scope_labels=True, top_n=3)
    # 50 users; user i spends i cents per request, one request each, the big ones last.
    sink.write(
        [make_record(user_id=f"user-{i}", cost=f"0.{i:02d}", tags=("chat",)) for i in range(50)]
    )
    # Bounded: three labelled users and "other", whatever the number of users; each newcomer
    # outspent the weakest labelled user, whose counts moved to "other".
    assert _values(registry, "user") == {"user-47": 1, "user-48": 1, "user-49": 1, OTHER: 47}
    assert _values(registry, "tag") == {"chat": 50.0}
    # No API key bound: one "none" series.
    assert _values(registry, "key") == {"none": 50.0}
    text = generate_latest(registry).decode()
    assert 'netrun_llm_scope_cost_usd_total{scope="user",value="user-49"} 0.49' in text


def test_a_value_that_climbs_into_the_top_n_takes_the_weakest_label() -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry, scope_labels=True, top_n=2)
    sink.write(
        [make_record(user_id=user, cost=cost) for user, cost in (("a", "0.10"), ("b", "0.20"))]
    )
    sink.write([make_record(user_id="c", cost="0.05")])
    assert _values(registry, "user") == {"a": 1.0, "b": 1.0, OTHER: 1.0}
    sink.write([make_record(user_id="c", cost="1.00")])
    # "c" now outspends "a", the weakest: "a"'s request moves to "other", its series go.
    assert _values(registry, "user") == {"b": 1.0, "c": 1.0, OTHER: 2.0}
    text = generate_latest(registry).decode()
    assert 'value="a"' not in text
    assert 'netrun_llm_scope_cost_usd_total{scope="user",value="other"} 0.15' in text


def test_refusals_have_their_own_status() -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry, scope_labels=True, top_n=5)
    refused = make_record(user_id="u", success=False, cost=None)
    refused.error_type = "budget:scope_budget"
    sink.write([refused, make_record(user_id="u", success=False, cost=None)])
    text = generate_latest(registry).decode()
    assert 'netrun_llm_scope_requests_total{scope="user",status="refused",value="u"} 1.0' in text
    assert 'netrun_llm_scope_requests_total{scope="user",status="error",value="u"} 1.0' in text


def test_without_scope_labels_no_scope_metric_exists() -> None:
    registry = CollectorRegistry()
    PrometheusSink(registry).write([make_record(user_id="u", tags=("t",))])
    assert "scope" not in generate_latest(registry).decode()


def test_the_spend_tracker_stays_bounded() -> None:
    ranks = TopN(2, capacity=8)
    for index in range(1000):
        ranks.label(f"v{index}", float(index % 17))
    assert len(ranks.spend) <= 8
    assert len(ranks.labelled) == 2


@pytest.mark.parametrize("bad", [0, -1, 101])
def test_a_bad_top_n_is_refused_by_the_sink_and_the_system_check(bad: int) -> None:
    with pytest.raises(ValueError, match="top_n"):
        PrometheusSink(CollectorRegistry(), scope_labels=True, top_n=bad)
    with override_settings(NETRUN_LLM_METRICS_TOP_N=bad):
        errors = check_metrics_top_n()
        assert [error.id for error in errors] == ["netrun.llm.E030"]
        assert "NETRUN_LLM_METRICS_TOP_N" in errors[0].msg
        assert "netrun.llm.E030" in {message.id for message in run_checks()}
        # The sink's default falls back to 10 rather than label without bound.
        assert PrometheusSink(CollectorRegistry(), scope_labels=True).top_n == 10
    with override_settings(NETRUN_LLM_METRICS_TOP_N=25):
        assert check_metrics_top_n() == []
        assert PrometheusSink(CollectorRegistry(), scope_labels=True).top_n == 25
