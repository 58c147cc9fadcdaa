"""Summarising a ticket with the LLM chain, under the tenant's policy and budget.

One call goes ``policy check -> budget reservation -> adapter call -> usage settle ->
telemetry``: :class:`~netrun.llm.LLMClient` runs the chain, a
:class:`~netrun.llm.policies.PolicyEnforcer` built from the tenant's admin record holds the
worst-case cost in the database ledger and settles the real one, and one
:class:`~netrun.llm.telemetry.TelemetryCollector` per process records every attempt into the
database (the admin dashboard) and Prometheus (``/metrics``).

The view and the Celery task both call :func:`summarise_ticket`; the tenant comes from
``netrun.core.context`` (the request's, or the one the task carried).

:func:`answer_question` is the helpdesk assistant: an agent loop that offers the model one
tool, ``list_tickets``, which reads the current tenant's tickets through the tenant-scoped
manager (never another tenant's rows), feeds the result back, and returns the final answer.
:class:`AgentLoop` holds its decisions; ``stream.py`` drives the same loop asynchronously and
streams the answer over server-sent events.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from typing import Any

from example_project.helpdesk.models import Comment, Ticket
from netrun.config import get_settings
from netrun.core.context import current_tenant_id
from netrun.core.deps import is_available
from netrun.errors import TenantContextMissingError
from netrun.llm import LLMClient, LLMResponse
from netrun.llm.budgets.django import DjangoLedger
from netrun.llm.conf import LLMConfig
from netrun.llm.models import get_tenant_policy
from netrun.llm.policies import PolicyEnforcer
from netrun.llm.pricing import ModelPrice, PriceTable, cost_for, default_price_table
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.sinks.database import DatabaseSink
from netrun.llm.types import ChatMessage
from netrun.ratelimit.conf import get_backend

__all__ = [
    "ASSISTANT_TOOLS",
    "PRICES",
    "SUMMARY_MAX_TOKENS",
    "AgentLoop",
    "answer_question",
    "assistant_client",
    "get_telemetry",
    "list_tickets",
    "summarise_ticket",
]

SUMMARY_MAX_TOKENS = 200

# The offline provider is free and has no list price, and a tenant with a budget refuses an
# unpriced model (rule ``unknown_price``). The demo gives it a nominal price so that budgets,
# spend bars and the 429 when a budget is used up can be seen without a provider key.
# Real providers keep their list prices from the built-in table.
PRICES: PriceTable = default_price_table().with_prices(
    [ModelPrice("offline", "*", Decimal("1.00"), Decimal("2.00"), dt.date(2024, 1, 1))]
)

_lock = threading.Lock()
_telemetry: TelemetryCollector | None = None
_clients: dict[int, LLMClient] = {}


def _price(provider: str, model: str, record: Any, day: dt.date) -> Decimal | None:
    return cost_for(provider, model, record, at=day, table=PRICES)


def get_telemetry() -> TelemetryCollector:
    """The process's collector: LLMUsageRecord rows, plus Prometheus when it is installed."""
    global _telemetry
    with _lock:
        if _telemetry is None:
            sinks: list[Any] = [DatabaseSink()]
            if is_available("prometheus_client"):
                from netrun.llm.telemetry.sinks.prometheus import PrometheusSink

                sinks.append(PrometheusSink())
            _telemetry = TelemetryCollector(sinks=sinks, flush_interval_seconds=10, pricing=_price)
        return _telemetry


def _base_client() -> LLMClient:
    # Adapters hold the SDK clients and their connection pools: build them once per
    # configuration, and only the enforcer per call.
    config = get_settings(LLMConfig)
    with _lock:
        client = _clients.get(id(config))
        if client is None:
            _clients.clear()
            client = _clients[id(config)] = LLMClient.from_config(config)
        return client


def _client_for(tenant_id: str) -> LLMClient:
    base = _base_client()
    policy = get_tenant_policy(tenant_id)  # None: this tenant has no limits configured
    enforcer = (
        None
        if policy is None
        else PolicyEnforcer(
            policy, ledger=DjangoLedger(), rate_limit_backend=get_backend(), prices=PRICES
        )
    )
    return LLMClient(
        base.adapters,
        local_adapter=base.local_adapter,
        enforcer=enforcer,
        telemetry=get_telemetry(),
        max_retries=base.max_retries,
        max_retry_wait=base.max_retry_wait,
    )


def summarise_ticket(ticket: Ticket, *, reason: str | None) -> tuple[Comment, LLMResponse]:
    """Ask the chain for a summary of ``ticket`` and store it as a summary comment.

    Raises the policy's errors unchanged: ``LLM_POLICY_VIOLATION`` (403, e.g. no reason),
    ``BUDGET_EXCEEDED`` (429), ``RATE_LIMIT_EXCEEDED`` (429).
    """
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextMissingError("Summarising a ticket needs a tenant.")
    notes = [c.body for c in ticket.comments.filter(kind=Comment.Kind.NOTE)]
    response = _client_for(str(tenant_id)).chat(
        [
            {"role": "system", "content": "Summarise this support ticket in two sentences."},
            {"role": "user", "content": "\n".join([ticket.title, *notes])},
        ],
        max_tokens=SUMMARY_MAX_TOKENS,
        reason=reason,
    )
    comment = Comment.objects.create(ticket=ticket, kind=Comment.Kind.SUMMARY, body=response.text)
    return comment, response


# --------------------------------------------------------------------------- the assistant

ASSISTANT_MAX_TOKENS = 400
#: Rounds of tool calls before the model must answer with what it has.
MAX_TOOL_ROUNDS = 3
#: What the tenant's policy is told the calls are for (the demo policy requires a reason).
ASSISTANT_REASON = "helpdesk assistant question"
ASSISTANT_SYSTEM = (
    "You are the helpdesk assistant of one support team. Use list_tickets to look at the "
    "team's tickets; answer briefly."
)
ASSISTANT_TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "list_tickets",
            "description": "The support team's tickets (id, title, status), newest first.",
            "parameters": {
                "type": "object",
                "properties": {
                    "status": {
                        "type": "string",
                        "description": "Only tickets with this status (open, closed, ...); "
                        "all when omitted.",
                    }
                },
            },
        },
    }
]
TICKETS_LIMIT = 50


def list_tickets(status: str | None = None) -> list[dict[str, Any]]:
    """The current tenant's tickets, through the tenant-scoped manager: never another's."""
    if current_tenant_id() is None:
        raise TenantContextMissingError("Listing tickets needs a tenant.")
    tickets = Ticket.objects.all()
    if status:
        tickets = tickets.filter(status=status)
    return [
        {"id": ticket.pk, "title": ticket.title, "status": ticket.status}
        for ticket in tickets[:TICKETS_LIMIT]
    ]


def _run_tool(name: str, arguments: Any) -> str:
    # What goes back to the model is data, never a traceback: a bad call is named so that
    # the model can correct it.
    if name != "list_tickets":
        return json.dumps({"error": f"unknown tool {name!r}"})
    status = arguments.get("status") if isinstance(arguments, dict) else None
    if status is not None and not isinstance(status, str):
        return json.dumps({"error": "status must be a string"})
    return json.dumps(list_tickets(status))


class AgentLoop:
    """The assistant's decisions, shared by the sync and async drivers.

    Each round the driver sends :attr:`messages` with :meth:`options`; :meth:`absorb` takes
    the answer, runs the tools it called (on the database: call it from sync code) and says
    whether another round is needed. An answer without tool calls (the offline provider's,
    always) is the final one.
    """

    def __init__(self, question: str) -> None:
        self.messages: list[ChatMessage] = [
            ChatMessage("system", ASSISTANT_SYSTEM),
            ChatMessage("user", question),
        ]
        self.rounds = 0

    def options(self) -> dict[str, Any]:
        # The last round offers no tools: the model has to answer with what it was given.
        tools = self.rounds < MAX_TOOL_ROUNDS
        return {
            "max_tokens": ASSISTANT_MAX_TOKENS,
            "reason": ASSISTANT_REASON,
            **({"tools": ASSISTANT_TOOLS} if tools else {}),
        }

    def absorb(self, response: LLMResponse) -> bool:
        """Run the calls in ``response``; True when the model must be asked again."""
        self.rounds += 1
        # Past the last round (offered no tools) a call is not run: the text is the answer.
        if not response.tool_calls or self.rounds > MAX_TOOL_ROUNDS:
            return False
        self.messages.append(
            ChatMessage("assistant", response.text, tool_calls=response.tool_calls)
        )
        for call in response.tool_calls:
            self.messages.append(
                ChatMessage("tool", _run_tool(call.name, call.arguments), tool_call_id=call.id)
            )
        return True


def assistant_client() -> LLMClient:
    """The chain under the current tenant's policy and budget."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextMissingError("The assistant needs a tenant.")
    return _client_for(str(tenant_id))


def answer_question(question: str) -> LLMResponse:
    """The assistant's final answer to ``question``, after up to MAX_TOOL_ROUNDS tool rounds."""
    client = assistant_client()
    loop = AgentLoop(question)
    while True:
        response = client.chat(loop.messages, **loop.options())
        if not loop.absorb(response):
            return response
