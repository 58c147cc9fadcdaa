"""The seeds' "LLM Policy Enforcement" example, run exactly as the release notes print it."""

from __future__ import annotations

from typing import Any

import netrun.llm.policies
from netrun.errors import BudgetExceededError

SEED_EXAMPLE = """
from netrun.llm.policies import (
    ProviderPolicy,
    TenantPolicy,
    PolicyEnforcer,
    CostTier,
)

# Define tenant policy with budget limits
tenant_policy = TenantPolicy(
    tenant_id="acme-corp",
    monthly_budget_usd=100.0,
    daily_budget_usd=10.0,
    fallback_to_local=True,  # Fall back to Ollama if budget exceeded
    provider_policies={
        "openai": ProviderPolicy(
            provider="openai",
            allowed_models=["gpt-4o-mini", "gpt-4o"],
            max_tokens_per_request=4096,
            max_cost_per_request=0.10,
            rate_limit_rpm=60,
            rate_limit_tpm=100000,
            cost_tier_limit=CostTier.MEDIUM,
        ),
    },
)

# Enforce policies before making requests
enforcer = PolicyEnforcer(tenant_policy)
try:
    enforcer.validate_request(
        provider="openai",
        model="gpt-4o",
        estimated_tokens=2000,
        reason="Customer support chatbot",
    )
except BudgetExceededError:
    # Use local model instead
    pass
"""


# The example's except branch only says "use local model instead"; to see which branch ran,
# the tests swap its ``pass`` for a line that keeps the refusal. Nothing else changes.
_BRANCH = "    # Use local model instead\n    pass\n"


def _instrumented(text: str) -> str:
    assert text.count(_BRANCH) == 1  # the seed's text is what the tests think it is
    text = text.replace(_BRANCH, "    # Use local model instead\n    refused = error\n")
    return "refused = None\n" + text.replace(
        "except BudgetExceededError:", "except BudgetExceededError as error:"
    )


def _run(text: str) -> dict[str, Any]:
    # The snippet names BudgetExceededError without importing it; the seeds' readers have it
    # from netrun.llm.policies, which re-exports netrun.errors' class.
    namespace: dict[str, Any] = {"BudgetExceededError": netrun.llm.policies.BudgetExceededError}
    exec(text, namespace)  # noqa: S102 - the point is to run the documented text
    return namespace


def test_the_seed_example_runs_verbatim() -> None:
    namespace = _run(SEED_EXAMPLE)
    assert namespace["enforcer"].fallback_to_local is True
    # Within budget: validate_request admitted the call, the except branch did not run.
    assert _run(_instrumented(SEED_EXAMPLE))["refused"] is None


def test_the_seed_example_takes_its_except_branch_when_the_budget_is_spent() -> None:
    # The same text with a spent daily budget: the except clause must catch the refusal.
    text = SEED_EXAMPLE.replace("daily_budget_usd=10.0", "daily_budget_usd=0.0")
    refused = _run(_instrumented(text))["refused"]
    assert isinstance(refused, BudgetExceededError)
    assert refused.details["rule"] == "daily_budget"
    assert refused.details["tenant_id"] == "acme-corp"
    assert refused.details["fallback_to_local"] is True


def test_budget_exceeded_error_is_the_netrun_errors_class() -> None:
    assert netrun.llm.policies.BudgetExceededError is BudgetExceededError
