"""The example project under load, then under load with faults (``make loadtest``).

Starts, all on 127.0.0.1 and all stopped at the end: a database of its own (an owner role
and an RLS app role), PgBouncer in transaction mode (``DB_TENANT_SCOPE=transaction``), a
Redis of its own (rate limits, cache), netrun's stub LLM server, the example under gunicorn
(4 sync workers) and uvicorn, and a Celery worker (acks late) on the shared RabbitMQ.

Phase 1 drives ``--users`` virtual users for ``--duration`` seconds (reads, ticket writes,
LLM summaries in the request and through Celery, two tenants, JWT logins) and checks: no
error besides intended 429s, every 201 stored exactly once, no row of another tenant, the
ledger within the budget and equal to what was made. Phase 2 (``--faults``) repeats it while
a gunicorn worker is SIGKILLed, PgBouncer restarted, Redis killed and restarted, and the
Celery worker SIGKILLed with tasks in flight; it reports what each fault caused.

    .venv/bin/python bench/loadtest.py --users 200 --duration 60 --faults
    .venv/bin/python bench/loadtest.py --users 5 --duration 3 --json   # the CI smoke run

Exit status 1 when an invariant broke (errors are allowed only inside a fault's window).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from _load.checks import check_phase, spent_by_tenant, wait_for_tasks
from _load.client import LoadResult, Sample, login_all, run_load
from _load.stack import RESULTS_REDIS, Stack, StackOptions

#: Seconds after a fault's recovery during which its errors are still put down to it.
SETTLE = 5.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(result: LoadResult) -> dict[str, Any]:
    samples = result.samples
    latencies = [s.latency for s in samples if s.status]
    statuses = Counter(str(s.status) for s in samples)
    by_kind: dict[str, Any] = {}
    for kind in sorted({s.kind for s in samples}):
        mine = [s.latency for s in samples if s.kind == kind and s.status]
        by_kind[kind] = {
            "n": sum(1 for s in samples if s.kind == kind),
            "p50_ms": round(percentile(mine, 0.50) * 1000, 1),
            "p95_ms": round(percentile(mine, 0.95) * 1000, 1),
        }
    by_server = {
        server: round(sum(1 for s in samples if s.server == server) / result.duration, 1)
        for server in sorted({s.server for s in samples})
    }
    refusals = Counter(s.code or "429" for s in samples if s.status == 429)
    return {
        "requests": len(samples),
        "seconds": round(result.duration, 1),
        "throughput_rps": round(len(samples) / result.duration, 1),
        "rps_by_server": by_server,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
        "statuses": dict(sorted(statuses.items())),
        "refusals_429": dict(refusals),
        "by_kind": by_kind,
        "tickets_created": len(result.created),
        "summaries_201": len(result.summaries),
        "tasks_queued": len(result.tasks),
    }


def _errors(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples if s.error]


def _describe(samples: list[Sample]) -> dict[str, int]:
    kinds = Counter(
        f"{s.server} {s.kind} {s.status or s.error.split(':')[0]}"
        + (f" {s.code}" if s.code else "")
        for s in samples
    )
    return dict(kinds.most_common())


class Faults:
    """Injects the faults on a timer while the load runs; records each one's window."""

    def __init__(self, stack: Stack, duration: float) -> None:
        self.stack = stack
        self.duration = duration
        self.windows: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = 0.0
        self.cut_tasks: list[str] = []

    def start(self, origin: float) -> None:
        self.started = origin
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _at(self, fraction: float) -> None:
        delay = self.started + fraction * self.duration - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def _window(self, name: str, began: float, note: str) -> None:
        self.windows.append(
            {
                "fault": name,
                "from_s": round(began - self.started, 2),
                "recovered_s": round(time.monotonic() - self.started, 2),
                "note": note,
            }
        )

    def _run(self) -> None:
        steps = (
            (0.12, self.kill_gunicorn_worker),
            (0.34, self.restart_pgbouncer),
            (0.56, self.kill_redis),
            (0.78, self.kill_celery),
        )
        for fraction, step in steps:
            self._at(fraction)
            try:
                step()
            except Exception as exc:
                self.errors.append(f"{step.__name__}: {type(exc).__name__}: {exc}")

    def kill_gunicorn_worker(self) -> None:
        began = time.monotonic()
        workers = self.stack.gunicorn.children()
        os.kill(workers[0], signal.SIGKILL)
        # The arbiter notices the exit and forks a replacement.
        while True:
            now = self.stack.gunicorn.children()
            if workers[0] not in now and len(now) >= len(workers):
                break
            time.sleep(0.05)
        self._window("gunicorn worker SIGKILL", began, f"pid {workers[0]} of {len(workers)}")

    def restart_pgbouncer(self) -> None:
        began = time.monotonic()
        self.stack.pgbouncer.stop()  # SIGTERM: immediate shutdown, every connection cut
        self.stack.pgbouncer.start()
        self._window("PgBouncer restart", began, "SIGTERM then start on the same port")

    def kill_redis(self) -> None:
        began = time.monotonic()
        self.stack.redis.kill()
        time.sleep(2.0)  # down long enough for every server to notice
        self.stack.redis.start()
        self._window("Redis SIGKILL, 2 s down, restart (empty)", began, "no persistence")

    def kill_celery(self) -> None:
        log = self.stack.celery.log
        # Wait (a few seconds at most) until a task is running, so the kill cuts one.
        deadline = time.monotonic() + 10
        in_flight = celery_in_flight(log.read_text(errors="replace"))
        while not in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
            in_flight = celery_in_flight(log.read_text(errors="replace"))
        began = time.monotonic()
        ready_before = log.read_text(errors="replace").count(" ready.")
        self.stack.celery.kill()  # the whole group: the parent and its pool processes
        self.cut_tasks = sorted(in_flight)
        time.sleep(1.0)
        self.stack.celery.start()
        self.stack.wait_celery_ready(after=ready_before)
        self._window(
            "Celery worker SIGKILL, restart", began, f"{len(in_flight)} task(s) running when killed"
        )


_TASK_LINE = re.compile(r"\[(?P<id>[0-9a-f-]{36})\] (?P<what>received|succeeded|raised)")


def celery_in_flight(log: str) -> set[str]:
    """Task IDs the worker log shows received and not yet finished."""
    open_tasks: set[str] = set()
    for match in _TASK_LINE.finditer(log):
        if match["what"] == "received":
            open_tasks.add(match["id"])
        else:
            open_tasks.discard(match["id"])
    return open_tasks


def deliveries(log: str) -> Counter[str]:
    return Counter(m["id"] for m in _TASK_LINE.finditer(log) if m["what"] == "received")


def phase(
    stack: Stack,
    accounts: list[Any],
    args: argparse.Namespace,
    *,
    faults: bool,
    earlier_titles: set[str],
) -> dict[str, Any]:
    budgets = stack.set_daily_budget(Decimal(args.budget))
    spent_before = spent_by_tenant(stack.database.admin_dsn, stack.tenants)
    injector = Faults(stack, args.duration) if faults else None
    wall_start, origin = time.time(), time.monotonic()
    if injector:
        injector.start(origin)
    result = run_load(
        stack.servers,
        accounts,
        users=args.users,
        duration=args.duration,
        think=args.think,
        origin=origin,
    )
    if injector:
        injector.join()
    tasks = wait_for_tasks(RESULTS_REDIS, list(result.tasks), timeout=args.drain)
    windows = [
        (wall_start + w["from_s"], wall_start + w["recovered_s"] + SETTLE)
        for w in (injector.windows if injector else [])
    ]
    findings = check_phase(
        stack.database.admin_dsn, stack.tenants, result, tasks, budgets, spent_before,
        exact_spend=not faults, earlier_titles=earlier_titles, fault_windows=windows,
    )  # fmt: skip
    earlier_titles.update(result.created)
    report: dict[str, Any] = {"load": summarise(result), **findings.facts}
    errors = _errors(result.samples)
    report["errors"] = len(errors)
    violations = list(findings.violations)
    if injector:
        report["faults"] = []
        # Each error goes to the last fault that began before it, if it is still within
        # that fault's recovery plus SETTLE seconds.
        windows = sorted(injector.windows, key=lambda w: w["from_s"])
        caused: dict[int, list[Sample]] = {n: [] for n in range(len(windows))}
        stray: list[Sample] = []
        for sample in errors:
            ended = sample.at + sample.latency  # a request cut by a fault ends in it
            began = [n for n, w in enumerate(windows) if w["from_s"] - 1.0 <= ended]
            if began and ended <= windows[began[-1]]["recovered_s"] + SETTLE:
                caused[began[-1]].append(sample)
            else:
                stray.append(sample)
        for n, window in enumerate(windows):
            inside = caused[n]
            report["faults"].append({**window, "errors": len(inside), "what": _describe(inside)})
        report["errors_outside_fault_windows"] = _describe(stray)
        report["stray_error_times"] = [
            f"{s.at:.2f}+{s.latency:.2f}s {s.server} {s.kind} {s.status} {s.code or s.error[:80]}"
            for s in stray[:30]
        ]
        violations.extend(f"error outside any fault window: {k} x{n}" for k, n in
                          _describe(stray).items())  # fmt: skip
        violations.extend(f"fault injection: {e}" for e in injector.errors)
        # Tasks the Celery kill cut: delivered again, and (checked above) one comment each.
        delivered = deliveries(stack.celery.log.read_text(errors="replace"))
        report["celery_tasks_cut"] = {
            task: {"deliveries": delivered[task], "final": tasks.get(task, {}).get("status")}
            for task in injector.cut_tasks
        }
        report["tasks_delivered_twice_or_more"] = sum(1 for n in delivered.values() if n > 1)
        for task in injector.cut_tasks:
            if delivered[task] < 2 or task not in tasks:
                violations.append(
                    f"task {task} cut by the kill was not delivered again and finished"
                )
    else:
        report["error_kinds"] = _describe(errors)
        violations.extend(f"error: {k} x{n}" for k, n in _describe(errors).items())
    report["violations"] = violations
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="concurrent virtual users")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--think", type=float, default=0.5, help="mean seconds between requests")
    parser.add_argument("--accounts", type=int, default=10, help="member accounts per tenant")
    parser.add_argument(
        "--budget", default="0.0005", help="USD each tenant may spend on LLM calls per phase"
    )
    parser.add_argument("--faults", action="store_true", help="run the fault phase too")
    parser.add_argument("--drain", type=float, default=90.0, help="seconds to wait for tasks")
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    parser.add_argument(
        "--tenant-scope",
        choices=["transaction", "session"],
        default="transaction",
        help="DB_TENANT_SCOPE of the servers behind PgBouncer (session: netrun must refuse)",
    )
    parser.add_argument("--keep-logs", help="copy the servers' logs into this directory")
    args = parser.parse_args(argv)

    options = StackOptions(accounts=min(args.accounts, args.users), tenant_scope=args.tenant_scope)
    report: dict[str, Any] = {
        "users": args.users, "duration_s": args.duration, "cpus": os.cpu_count(),
    }  # fmt: skip
    started = time.monotonic()
    with Stack(options) as stack:
        report["startup_s"] = round(time.monotonic() - started, 1)
        accounts = login_all(stack.servers["gunicorn"], stack.members(), _password())
        titles: set[str] = set()
        report["steady"] = phase(stack, accounts, args, faults=False, earlier_titles=titles)
        if args.faults:
            report["with_faults"] = phase(stack, accounts, args, faults=True, earlier_titles=titles)
        if args.keep_logs:
            shutil.copytree(stack.directory, args.keep_logs, dirs_exist_ok=True)
        report["logs_tail"] = {
            name: getattr(stack, name).tail(5) for name in ("gunicorn", "uvicorn", "celery")
        }
    failed = [
        v for key in ("steady", "with_faults") for v in report.get(key, {}).get("violations", [])
    ]
    report["ok"] = not failed
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0 if not failed else 1


def _password() -> str:
    from _load.stack import PASSWORD

    return PASSWORD


def _print(report: dict[str, Any]) -> None:
    for key in ("steady", "with_faults"):
        if key not in report:
            continue
        part = report[key]
        load = part["load"]
        print(f"== {key}: {report['users']} users, {load['seconds']} s, {report['cpus']} CPUs")
        print(
            f"   {load['requests']} requests, {load['throughput_rps']} req/s "
            f"{load['rps_by_server']}, p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms, "
            f"p99 {load['p99_ms']} ms"
        )
        print(f"   statuses {load['statuses']}, 429s {load['refusals_429']}")
        print(f"   by kind {load['by_kind']}")
        print(
            f"   created {load['tickets_created']}, summaries {load['summaries_201']}, "
            f"queued {load['tasks_queued']}; tasks {part['tasks']}"
        )
        print(f"   ledger {part['ledger']}")
        for fault in part.get("faults", []):
            print(f"   fault {fault}")
        if "errors_outside_fault_windows" in part:
            print(f"   errors outside fault windows: {part['errors_outside_fault_windows']}")
        print(
            f"   stored without a 201: {part['stored_without_a_201']}; summaries made "
            f"without an answer: {part['summaries_made_without_an_answer']}"
        )
        if "celery_tasks_cut" in part:
            print(
                f"   celery tasks cut by the kill: {part['celery_tasks_cut']}; delivered more "
                f"than once: {part['tasks_delivered_twice_or_more']}"
            )
        print(f"   violations: {part['violations'] or 'none'}")
    print(f"ok: {report['ok']} (start-up {report['startup_s']} s)")


if __name__ == "__main__":
    sys.exit(main())
