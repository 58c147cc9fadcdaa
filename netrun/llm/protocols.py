"""The hooks :class:`~netrun.llm.client.LLMClient` calls: the policy enforcer and telemetry.

Anything with these methods works (structural typing); ``netrun.llm.policies`` and
``netrun.llm.telemetry`` provide the implementations: :class:`PolicyEnforcerProtocol` is met
by ``policies.PolicyEnforcer``, :class:`ReservationProtocol` by ``policies.Reservation`` (the
Django ledger stores its holds as ``models.BudgetReservation`` rows). The protocols were named
``PolicyEnforcer`` and ``BudgetReservation`` before 2.1; the old names still import, with a
``DeprecationWarning``. The call order for one attempt::

    reservation = enforcer.reserve(provider=..., model=..., estimated_input_tokens=...,
                                   max_output_tokens=..., reason=...)   # may raise
    try:
        response = adapter.chat(...)
    except BaseException:
        reservation.release()          # failure, timeout, cancellation
        raise
    reservation.settle(response.usage) # the real usage; for a stream, what was consumed
    telemetry.record(response_or_error, attempt_info)

``reserve`` raises :class:`~netrun.errors.BudgetExceededError` when the budget cannot cover
the estimate (the client then falls back to the local model if ``fallback_to_local`` is
true), or another :class:`~netrun.errors.NetrunException` when a rule refuses the provider
or model (the client tries the next provider). Exactly one of ``settle`` / ``release`` is
called per reservation.

In async code the client awaits ``areserve`` / ``asettle`` / ``arelease`` when the object has
them (see :class:`AsyncPolicyEnforcerProtocol`), so a Redis or database ledger need not block the
event loop; otherwise it calls the sync methods.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from netrun.core import deprecated_aliases
from netrun.llm.types import AttemptInfo, LLMResponse, Usage

__all__ = [
    "AsyncPolicyEnforcerProtocol",
    "AsyncReservationProtocol",
    "LLMTelemetry",
    "PolicyEnforcerProtocol",
    "ReservationProtocol",
]


@runtime_checkable
class ReservationProtocol(Protocol):
    """A hold on a budget for one attempt; settled or released exactly once."""

    def settle(self, usage: Usage) -> None:
        """Replace the hold with the real cost of ``usage``."""

    def release(self) -> None:
        """Give the whole hold back: the attempt failed or was cancelled before any usage."""


@runtime_checkable
class AsyncReservationProtocol(ReservationProtocol, Protocol):
    async def asettle(self, usage: Usage) -> None: ...

    async def arelease(self) -> None: ...


@runtime_checkable
class PolicyEnforcerProtocol(Protocol):
    """Checks one attempt against the tenant's policy and reserves its worst-case cost."""

    #: On a budget refusal, answer with the local model instead of raising.
    fallback_to_local: bool

    def reserve(
        self,
        *,
        provider: str,
        model: str,
        estimated_input_tokens: int,
        max_output_tokens: int,
        reason: str | None,
    ) -> ReservationProtocol:
        """Admit the attempt and hold its budget, or raise a ``NetrunException``."""
        ...


@runtime_checkable
class AsyncPolicyEnforcerProtocol(PolicyEnforcerProtocol, Protocol):
    async def areserve(
        self,
        *,
        provider: str,
        model: str,
        estimated_input_tokens: int,
        max_output_tokens: int,
        reason: str | None,
    ) -> ReservationProtocol: ...


@runtime_checkable
class LLMTelemetry(Protocol):
    """Receives every attempt's outcome: an answer (complete or not) or the error."""

    def record(self, outcome: LLMResponse | BaseException, attempt: AttemptInfo) -> None:
        """Must not raise; the client logs and ignores an exception from it anyway."""


# Renamed in 2.1 (one name, one meaning); the old names warn until 3.0.
if TYPE_CHECKING:
    AsyncBudgetReservation = AsyncReservationProtocol
    AsyncPolicyEnforcer = AsyncPolicyEnforcerProtocol
    BudgetReservation = ReservationProtocol
    PolicyEnforcer = PolicyEnforcerProtocol
else:
    __getattr__ = deprecated_aliases(
        __name__,
        {
            "AsyncBudgetReservation": "AsyncReservationProtocol",
            "AsyncPolicyEnforcer": "AsyncPolicyEnforcerProtocol",
            "BudgetReservation": "ReservationProtocol",
            "PolicyEnforcer": "PolicyEnforcerProtocol",
        },
    )
