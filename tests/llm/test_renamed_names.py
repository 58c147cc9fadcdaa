"""Names that meant two things were renamed in 2.1; the old names import, warn, and are the new."""

from __future__ import annotations

import importlib
import warnings

import pytest

RENAMED = [
    ("netrun.llm", "BudgetReservation", "ReservationProtocol"),
    ("netrun.llm", "AsyncBudgetReservation", "AsyncReservationProtocol"),
    ("netrun.llm", "AsyncPolicyEnforcer", "AsyncPolicyEnforcerProtocol"),
    ("netrun.llm.protocols", "BudgetReservation", "ReservationProtocol"),
    ("netrun.llm.protocols", "AsyncBudgetReservation", "AsyncReservationProtocol"),
    ("netrun.llm.protocols", "PolicyEnforcer", "PolicyEnforcerProtocol"),
    ("netrun.llm.protocols", "AsyncPolicyEnforcer", "AsyncPolicyEnforcerProtocol"),
    ("netrun.llm.budgets", "BudgetExhausted", "ReservationRefused"),
    ("netrun.llm.budgets.base", "BudgetExhausted", "ReservationRefused"),
    ("netrun.llm.testing", "Protocol", "WireProtocol"),
    ("netrun.llm.testing.stub", "Protocol", "WireProtocol"),
]


@pytest.mark.parametrize(("module", "old", "new"), RENAMED)
def test_an_old_name_is_the_new_object_and_warns_from_the_importing_line(
    module: str, old: str, new: str
) -> None:
    namespace: dict[str, object] = {"__name__": "importer"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # once per location, as users see it
        exec(f"from {module} import {old}", namespace)  # noqa: S102 - the import statement is under test
    assert namespace[old] is getattr(importlib.import_module(module), new)
    (warning,) = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert str(warning.message) == (
        f"{module}.{old} is deprecated and will be removed in netrun 3.0; use {module}.{new} instead"
    )
    assert warning.filename == "<string>"  # the importing code, not the helper


@pytest.mark.parametrize(("module", "old", "new"), RENAMED)
def test_the_old_name_is_no_longer_exported(module: str, old: str, new: str) -> None:
    exported = importlib.import_module(module).__all__
    assert new in exported
    assert old not in exported


def test_the_policy_enforcer_class_keeps_its_seed_name() -> None:
    from netrun.llm import PolicyEnforcer, PolicyEnforcerProtocol
    from netrun.llm.policies import PolicyEnforcer as Enforcer

    assert PolicyEnforcer is Enforcer
    assert PolicyEnforcer is not PolicyEnforcerProtocol


def test_catching_the_old_exception_name_still_catches_a_refusal() -> None:
    from netrun.llm.budgets import ReservationRefused

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from netrun.llm.budgets import BudgetExhausted
    assert BudgetExhausted is ReservationRefused


def test_a_name_that_never_existed_still_raises_attribute_error() -> None:
    import netrun.llm

    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        netrun.llm.NoSuchName  # noqa: B018 - the lookup is under test
