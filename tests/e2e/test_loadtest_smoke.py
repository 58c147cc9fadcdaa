"""The load run of ``make loadtest``, small: so the script and its stack cannot rot.

``bench/loadtest.py`` starts the example project under gunicorn (4 workers) and uvicorn
behind its own PgBouncer in transaction mode, with its own Redis, a Celery worker on the
shared RabbitMQ and netrun's stub LLM server, drives a few users for a few seconds, and
checks its invariants from the database. The full run (200 users, 60 s, faults) is
``make loadtest``; its figures are in docs/scaling.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _loadtest(*args: str) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    done = subprocess.run(
        [sys.executable, "bench/loadtest.py", "--json", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"no JSON report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.returncode, report


def test_a_small_load_through_pgbouncer_keeps_every_invariant() -> None:
    status, report = _loadtest("--users", "6", "--duration", "4", "--think", "0.2")
    steady = report["steady"]
    assert steady["violations"] == [], steady
    assert (status, report["ok"]) == (0, True)
    load = steady["load"]
    # Both servers answered, tickets were written, and LLM summaries were made and paid for.
    assert set(load["rps_by_server"]) == {"gunicorn", "uvicorn"}
    assert load["tickets_created"] > 0
    assert set(load["statuses"]) <= {"200", "201", "202", "404", "429"}
    ledger = steady["ledger"]
    made = sum(tenant["summaries_made"] for tenant in ledger.values())
    spent = sum(tenant["phase_spent_micros"] for tenant in ledger.values())
    per_call = ledger["acme"]["cost_per_summary_micros"]
    assert per_call > 0
    assert spent == made * per_call
    # Every queued summary ran once on the worker, in its ticket's tenant.
    tasks = steady["tasks"]
    assert tasks["unfinished"] == tasks["duplicates"] == 0
    assert tasks["SUCCESS"] + tasks["FAILURE"] == load["tasks_queued"]
