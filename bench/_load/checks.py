"""What must hold after a load phase, read from the database as the superuser (no RLS).

* every 201 for a ticket is one row, of the user's tenant, with the ID the answer gave;
* no answer showed a row of another tenant (recorded by the client);
* each tenant's daily spend is within its budget, nothing stays reserved, and the spend is
  the settled cost of the summaries that were made;
* every queued summary ended: exactly one summary comment on its ticket, of the ticket's
  tenant, when the task succeeded; none when the budget refused it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from _load.client import LoadResult

__all__ = ["Findings", "check_phase", "wait_for_tasks"]


@dataclass
class Findings:
    violations: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def wait_for_tasks(results_url: str, task_ids: list[str], timeout: float) -> dict[str, Any]:
    """Each task's final meta (status, result) from the result backend, waiting up to ``timeout``."""
    import redis

    client = redis.Redis.from_url(results_url)
    final: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while True:
        pending = [task for task in task_ids if task not in final]
        if pending:
            for task, raw in zip(
                pending,
                client.mget([f"celery-task-meta-{task}" for task in pending]),
                strict=True,
            ):
                if raw is not None:
                    meta = json.loads(raw)
                    if meta.get("status") in ("SUCCESS", "FAILURE"):
                        final[task] = meta
        if len(final) == len(task_ids) or time.monotonic() > deadline:
            return final
        time.sleep(0.5)


def _epoch(value: Any) -> float:
    import datetime as dt

    if not value:
        return 0.0
    done = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if done.tzinfo is None:
        done = done.replace(tzinfo=dt.timezone.utc)
    return done.timestamp()


def _cost_per_summary() -> int:
    """Micro-dollars one stub answer costs at the example's prices (the stub's usage)."""
    from netrun.llm.pricing import cost_for, default_price_table
    from netrun.llm.testing.stub import StubUsage

    # The example's PRICES add only the offline provider to the built-in table.
    cost = cost_for("openai", "gpt-4o-mini", StubUsage(), table=default_price_table())
    assert cost is not None
    return int(Decimal(cost) * 1_000_000)


def check_phase(
    admin_dsn: str,
    tenants: dict[str, dict[str, Any]],
    result: LoadResult,
    tasks: dict[str, Any],
    budgets: dict[str, int],
    spent_before: dict[str, int],
    *,
    exact_spend: bool,
    earlier_titles: set[str],
    fault_windows: list[tuple[float, float]],
) -> Findings:
    """``fault_windows``: (from, to) in epoch seconds; a task that failed inside one is put
    down to the fault (reported, not a violation)."""
    import psycopg

    found = Findings()
    slug_of = {info["id"]: slug for slug, info in tenants.items()}
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT title, id, tenant_id::text FROM helpdesk_ticket WHERE title LIKE '[%] load %'"
        ).fetchall()
        comments = conn.execute(
            "SELECT id, ticket_id, tenant_id::text FROM helpdesk_comment WHERE kind = 'summary'"
        ).fetchall()
        spend = dict(
            conn.execute(
                "SELECT tenant_id, spent_micros FROM netrun_llm_budget_spend WHERE period = 'day'"
            ).fetchall()
        )
        reserved = dict(
            conn.execute(
                "SELECT tenant_id, reserved_micros FROM netrun_llm_budget_spend "
                "WHERE period = 'day'"
            ).fetchall()
        )
    tickets_by_title: dict[str, list[tuple[int, str]]] = {}
    for title, ticket_id, tenant_id in rows:
        tickets_by_title.setdefault(title, []).append((ticket_id, tenant_id))

    # Every 201 stored exactly once, in the right tenant.
    for title, (slug, ticket_id) in result.created.items():
        stored = tickets_by_title.get(title, [])
        if stored != [(ticket_id, tenants[slug]["id"])]:
            found.violations.append(f"201 for {title!r} (id {ticket_id}) stored as {stored}")
    for title, stored in tickets_by_title.items():
        marker = title[1 : title.index("]")]
        if any(slug_of.get(tenant_id) != marker for _, tenant_id in stored):
            found.violations.append(f"ticket {title!r} stored in another tenant: {stored}")
    # Requests that committed but whose answer was lost (cut by a fault): reported.
    unanswered = [
        t for t in tickets_by_title if t not in result.created and t not in earlier_titles
    ]
    found.facts["stored_without_a_201"] = len(unanswered)
    found.violations.extend(f"cross-tenant: {line}" for line in result.cross_tenant[:20])

    # Summaries: each synchronous 201 is one comment on its ticket, in its tenant.
    comment_by_id = {cid: (ticket, tenant) for cid, ticket, tenant in comments}
    for comment, (slug, ticket) in result.summaries.items():
        if comment_by_id.get(comment) != (ticket, tenants[slug]["id"]):
            found.violations.append(
                f"summary {comment} for ticket {ticket}: {comment_by_id.get(comment)}"
            )
    per_ticket: dict[int, list[tuple[int, str]]] = {}
    for cid, ticket, tenant in comments:
        per_ticket.setdefault(ticket, []).append((cid, tenant))

    # Queued summaries: each task ended, and ran to completion exactly once.
    outcome = {"SUCCESS": 0, "FAILURE": 0, "unfinished": 0, "duplicates": 0}
    failures: dict[str, int] = {}
    for task, (slug, ticket) in result.tasks.items():
        meta = tasks.get(task)
        made = per_ticket.get(ticket, [])
        if meta is None:
            outcome["unfinished"] += 1
            found.violations.append(f"task {task} (ticket {ticket}) never finished")
            continue
        outcome[meta["status"]] += 1
        if meta["status"] == "SUCCESS":
            if made != [(meta["result"], tenants[slug]["id"])]:
                if len(made) > 1:
                    outcome["duplicates"] += 1
                found.violations.append(
                    f"task {task} returned comment {meta['result']}; ticket {ticket} has {made}"
                )
        else:
            kind = str(meta.get("result", {}).get("exc_type", "?"))
            failures[kind] = failures.get(kind, 0) + 1
            done = _epoch(meta.get("date_done"))
            in_fault = any(start <= done <= end for start, end in fault_windows)
            if kind != "BudgetExceededError" and not in_fault:
                found.violations.append(f"task {task} failed: {meta.get('result')}")
            if made:
                found.violations.append(f"task {task} failed but ticket {ticket} has {made}")
    found.facts["tasks"] = {**outcome, "failures_by_type": failures}

    # Budgets: within the budget, nothing left reserved, and (when no request was cut off)
    # exactly the settled cost of what was made.
    per_call = _cost_per_summary()
    # What was made is what the database holds: the summary comments on this phase's
    # tickets (an answer lost to a fault still made and paid for its summary).
    phase_tickets = {
        ticket_id
        for title, stored in tickets_by_title.items()
        if title not in earlier_titles
        for ticket_id, _tenant in stored
    }
    made_by_tenant = dict.fromkeys(tenants, 0)
    for _cid, ticket, tenant in comments:
        if ticket in phase_tickets and tenant in slug_of:
            made_by_tenant[slug_of[tenant]] += 1
    answered = len(result.summaries) + outcome["SUCCESS"]
    found.facts["summaries_made_without_an_answer"] = sum(made_by_tenant.values()) - answered
    ledger: dict[str, Any] = {}
    for slug, info in tenants.items():
        spent = int(spend.get(info["id"], 0))
        held = int(reserved.get(info["id"], 0))
        phase_spent = spent - spent_before.get(slug, 0)
        ledger[slug] = {
            "budget_micros": budgets[slug],
            "spent_micros": spent,
            "phase_spent_micros": phase_spent,
            "reserved_micros": held,
            "summaries_made": made_by_tenant[slug],
            "cost_per_summary_micros": per_call,
        }
        if spent > budgets[slug]:
            found.violations.append(f"overspend: {slug} spent {spent} of {budgets[slug]} micros")
        if held and exact_spend:
            # A request killed mid-call leaves its hold until it expires: faults only.
            found.violations.append(f"{slug}: {held} micros still reserved after the run")
        if exact_spend and phase_spent != made_by_tenant[slug] * per_call:
            found.violations.append(
                f"{slug}: ledger {phase_spent} micros for {made_by_tenant[slug]} summaries "
                f"at {per_call}"
            )
    found.facts["ledger"] = ledger
    return found


def spent_by_tenant(admin_dsn: str, tenants: dict[str, dict[str, Any]]) -> dict[str, int]:
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        spend = dict(
            conn.execute(
                "SELECT tenant_id, spent_micros FROM netrun_llm_budget_spend WHERE period = 'day'"
            ).fetchall()
        )
    return {slug: int(spend.get(info["id"], 0)) for slug, info in tenants.items()}
