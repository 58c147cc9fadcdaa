"""Mutation testing of netrun's security core with Cosmic Ray's operators.

Each mutant is applied to a private copy of the repository (never to the work tree, which
other processes may be testing), and only the tests mapped to its module run against it, with
``-x``: the first failure kills it. A mutant that survives is a missing test, unless it is on
``mutation/equivalent.txt`` with the reason it cannot change behaviour.

    python tools/mutation.py list                       # mutants per module
    python tools/mutation.py run                        # every mutant (make mutation)
    python tools/mutation.py run --module netrun/auth/denylist.py
    python tools/mutation.py run --sample 24            # CI: a deterministic sample
    python tools/mutation.py run --module M --match "freed = 0"   # chosen mutants of M

Exit status: 0 when every mutant run was killed or is listed as equivalent, 1 otherwise.
Mutants are keyed by module, operator, the mutated line's text and the index among mutants with
that same triple, so the equivalent list survives edits elsewhere in the module.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from cosmic_ray.ast import ast_nodes, get_ast_from_path
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "mutation" / "equivalent.txt"

# The module under mutation -> the tests that pin it. Kept narrow on purpose: each mutant
# runs these (not the suite), so a module's tests must kill its mutants on their own.
MODULES: dict[str, list[str]] = {
    "netrun/rbac/managers.py": [
        "tests/rbac/test_models.py",
        "tests/rbac/test_subquery_scoping.py",
        "tests/rbac/test_save_existing_rows.py",
        "tests/rbac_rls/test_subquery_scoping.py",
        "tests/mutation_kills",
    ],
    "netrun/rbac/db/backends/postgresql/base.py": [
        "tests/rbac_rls/test_tenant_scope.py",
        "tests/rbac_rls/test_scenarios.py",
        "tests/rbac_rls/test_pool_scope.py",
        "tests/mutation_kills",
    ],
    "netrun/rbac/db/_sql.py": [
        "tests/rbac/test_rls_operations.py",
        "tests/rbac_rls/test_validation.py",
        "tests/rbac_rls/test_scenarios.py",
        "tests/mutation_kills",
    ],
    "netrun/rbac/db/operations.py": [
        "tests/rbac/test_rls_operations.py",
        "tests/rbac_rls/test_validation.py",
        "tests/rbac_rls/test_scenarios.py",
        "tests/mutation_kills",
    ],
    "netrun/rbac/db/router.py": [
        "tests/rbac_rls/test_tenant_scope.py",
        "tests/rbac_rls/test_scenarios.py",
        "tests/mutation_kills",
    ],
    "netrun/rbac/db/cross_tenant.py": [
        "tests/rbac_rls/test_scenarios.py",
        "tests/rbac_rls/test_own_tables.py",
        "tests/mutation_kills",
    ],
    "netrun/llm/policy/ledgers/base.py": [
        "tests/llm/policy/ledgers/test_ledgers.py",
        "tests/llm/policy/ledgers/test_ledger_fresh_windows.py",
        "tests/llm/policy/test_budget_bound.py",
        "tests/llm/policy/test_shared_budgets.py",
        "tests/llm/policy/test_policies.py",
        "tests/mutation_kills",
    ],
    "netrun/llm/policy/ledgers/memory.py": [
        "tests/llm/policy/ledgers/test_ledgers.py",
        "tests/llm/policy/test_concurrency.py",
        "tests/mutation_kills",
    ],
    "netrun/llm/policy/ledgers/django.py": [
        "tests/llm/policy/ledgers/test_ledgers.py",
        "tests/llm/policy/ledgers/test_ledger_fresh_windows.py",
        "tests/llm/policy/ledgers/test_sqlite_ledger.py",
        "tests/llm/policy/test_concurrency.py",
        "tests/mutation_kills",
    ],
    "netrun/llm/policy/ledgers/sql.py": [
        "tests/llm/policy/ledgers/test_ledgers.py",
        "tests/llm/policy/ledgers/test_ledger_fresh_windows.py",
        "tests/llm/policy/ledgers/test_sql_round_trips.py",
        "tests/llm/policy/test_concurrency.py",
        "tests/mutation_kills",
    ],
    "netrun/llm/policy/ledgers/redis.py": [
        "tests/llm/policy/ledgers/test_ledgers.py",
        "tests/llm/policy/test_concurrency.py",
        "tests/mutation_kills",
    ],
    "netrun/ratelimit/backends/memory.py": [
        "tests/ratelimit/test_memory.py",
        "tests/ratelimit/test_limiter.py",
        "tests/mutation_kills",
    ],
    "netrun/ratelimit/backends/redis.py": [
        "tests/ratelimit/test_redis.py",
        "tests/mutation_kills",
    ],
    "netrun/auth/tokens.py": [
        "tests/auth/test_tokens.py",
        "tests/auth/test_denylist_ttl.py",
        "tests/auth/test_denylist.py",  # build_denylist lives in tokens.py
        "tests/auth/test_security.py",
        "tests/mutation_kills",
    ],
    "netrun/auth/denylist.py": [
        "tests/auth/test_denylist.py",
        "tests/auth/test_denylist_ttl.py",
        "tests/mutation_kills",
    ],
    "netrun/logging/redaction.py": [
        "tests/logging/test_redaction.py",
        "tests/logging/test_closed_defaults.py",
        "tests/mutation_kills",
    ],
}

# Cosmic Ray's operators, minus the ones that only make noise here: every arithmetic
# cross-product (kept: + <-> -, the off-by-one that matters in counters and windows), the
# comparison cross-product (kept: the flips and off-by-ones), and variable insertion.
OPERATORS = [
    "core/AddNot",
    "core/ReplaceTrueWithFalse",
    "core/ReplaceFalseWithTrue",
    "core/ReplaceAndWithOr",
    "core/ReplaceOrWithAnd",
    "core/ReplaceBreakWithContinue",
    "core/ReplaceContinueWithBreak",
    "core/ExceptionReplacer",
    "core/NumberReplacer",
    "core/ZeroIterationForLoop",
    "core/ReplaceBinaryOperator_Add_Sub",
    "core/ReplaceBinaryOperator_Sub_Add",
    "core/ReplaceComparisonOperator_Eq_NotEq",
    "core/ReplaceComparisonOperator_NotEq_Eq",
    "core/ReplaceComparisonOperator_Lt_LtE",
    "core/ReplaceComparisonOperator_LtE_Lt",
    "core/ReplaceComparisonOperator_Gt_GtE",
    "core/ReplaceComparisonOperator_GtE_Gt",
    "core/ReplaceComparisonOperator_Is_IsNot",
    "core/ReplaceComparisonOperator_IsNot_Is",
]

# Lines whose mutants cannot change what runs: typing-only imports and overloads.
SKIP_LINES = ("if TYPE_CHECKING:", "@overload", "@typing.overload")

# Failures of the machine, not of the code under test.
SERVICE_FAILURES = (
    "remaining connection slots are reserved",
    "too many clients already",
    "Connection refused",
    "OOM command not allowed",
)

COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", ".tox", "site", "__pycache__", ".mypy_cache", ".ruff_cache", "*.pyc",
    ".coverage*", "htmlcov", "node_modules", "test-artefacts", "build", "dist",
)  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    module: str
    operator: str
    occurrence: int
    line: int
    text: str
    index: int  # among mutants of this module with the same operator and line text

    @property
    def key(self) -> str:
        return f"{self.module} {self.operator} #{self.index}\n    {self.text}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()


def mutants(module: str) -> list[Mutant]:
    """Every mutant of ``module`` (a path relative to the repository), in source order."""
    path = ROOT / module
    lines = path.read_text().splitlines()
    found: list[Mutant] = []
    seen: Counter[tuple[str, str]] = Counter()
    tree = get_ast_from_path(path)
    for name in OPERATORS:
        operator = get_operator(name)()
        positions = (
            start for node in ast_nodes(tree) for start, _end in operator.mutation_positions(node)
        )
        for occurrence, start in enumerate(positions):
            text = lines[start[0] - 1].strip()
            if text.startswith(SKIP_LINES):
                continue
            index = seen[name, text]
            seen[name, text] += 1
            found.append(Mutant(module, name, occurrence, start[0], text, index))
    return found


def equivalent_keys(path: Path = EQUIVALENT) -> dict[str, str]:
    """The listed equivalent mutants: key -> reason.

    An entry is three lines: ``<module> <operator> #<index>``, the mutated line's text
    indented by four spaces, and ``    reason: ...``. Lines starting with ``#`` are comments.
    """
    if not path.exists():
        return {}
    entries: dict[str, str] = {}
    block: list[str] = []
    for raw in [*path.read_text().splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if raw.strip():
            block.append(raw.rstrip())
            continue
        if block:
            if len(block) != 3 or not block[2].strip().startswith("reason:"):
                raise SystemExit(f"{path}: malformed entry: {block!r}")
            entries[f"{block[0]}\n    {block[1].strip()}"] = block[2].split(":", 1)[1].strip()
            block = []
    return entries


@dataclass
class Result:
    key: str
    module: str
    operator: str
    line: int
    outcome: str  # killed, timeout, survived, equivalent, error
    seconds: float
    diff: str = ""


def _copy_tree(destination: Path) -> None:
    shutil.copytree(ROOT, destination, ignore=COPY_IGNORE, symlinks=True)


@contextlib.contextmanager
def _private_redis() -> Iterator[dict[str, str]]:
    """A Redis server of this module's own on a free loopback port, when one can be started.

    Modules run at once would otherwise flush each other's Redis index between tests, and a
    test failing on a flushed key would count as a killed mutant.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        yield {}
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield {"NETRUN_TEST_REDIS_URL": f"redis://127.0.0.1:{port}"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def _pytest(
    tree: Path, tests: Sequence[str], timeout: float, extra: dict[str, str]
) -> tuple[int | None, str]:
    env = dict(os.environ, CI="true", PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    env.pop("COVERAGE_PROCESS_START", None)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *tests]
    try:
        done = subprocess.run(
            command, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, done.stdout[-2000:] + done.stderr[-2000:]


def _tests(module: str, tree: Path) -> list[str]:
    return [t for t in MODULES[module] if (tree / t).exists()]


def baseline(tree: Path, module: str, extra: dict[str, str]) -> float:
    """Run the module's tests on the unmutated copy: they must pass, and this times them."""
    started = time.monotonic()
    code, output = _pytest(tree, _tests(module, tree), 1800, extra)
    if code != 0:
        raise SystemExit(f"baseline failed for {module} (exit {code}):\n{output}")
    return time.monotonic() - started


def run_module(
    module: str,
    chosen: Sequence[Mutant],
    equivalent: dict[str, str],
    workdir: Path,
    *,
    skip_baseline: bool = False,
) -> Iterator[Result]:
    """Apply each chosen mutant of ``module`` in a private copy and run the module's tests."""
    tree = workdir / hashlib.sha256(module.encode()).hexdigest()[:12]
    if tree.exists():
        shutil.rmtree(tree)
    _copy_tree(tree)
    with _private_redis() as redis:
        yield from _run_mutants(module, chosen, equivalent, tree, redis, skip_baseline)


def _run_mutants(
    module: str,
    chosen: Sequence[Mutant],
    equivalent: dict[str, str],
    tree: Path,
    redis: dict[str, str],
    skip_baseline: bool,
) -> Iterator[Result]:
    target = tree / module
    original = target.read_text()
    took = 120.0 if skip_baseline else baseline(tree, module, redis)
    # Generous: a loaded machine is slow; a mutant that hangs (an endless retry) is killed.
    timeout = max(120.0, took * 5)
    print(f"{module}: {len(chosen)} mutants, tests take {took:.0f}s", file=sys.stderr)
    for mutant in chosen:
        started = time.monotonic()
        if mutant.key in equivalent:
            yield Result(mutant.key, module, mutant.operator, mutant.line, "equivalent", 0.0)
            continue
        mutated = mutate_code(original, get_operator(mutant.operator)(), mutant.occurrence)
        if mutated is None:
            yield Result(mutant.key, module, mutant.operator, mutant.line, "error", 0.0)
            continue
        try:
            target.write_text(mutated)
            code, output = _pytest(tree, _tests(module, tree), timeout, redis)
        finally:
            target.write_text(original)
        if code is None:
            outcome = "timeout"
        elif code == 0:
            outcome = "survived"
        elif any(sign in output for sign in SERVICE_FAILURES):
            # A shared server refusing the run says nothing about the mutant: run it again.
            outcome = "error (a service refused the run)"
        elif code in (1, 2, 3):  # tests failed, interrupted (-x), or an internal error
            outcome = "killed"
        else:
            outcome = f"error (pytest exit {code})"
        diff = "" if outcome != "survived" else _diff(original, mutated, mutant.line)
        result = Result(
            mutant.key, module, mutant.operator, mutant.line, outcome,
            time.monotonic() - started, diff,
        )  # fmt: skip
        print(f"  {outcome:9} {mutant.operator} line {mutant.line}: {mutant.text}", file=sys.stderr)
        yield result


def _diff(original: str, mutated: str, line: int) -> str:
    before = original.splitlines()
    after = mutated.splitlines()
    # Cosmic Ray reprints only the mutated node; the line is where it differs.
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b]
    at = changed[0] if changed else line - 1
    return f"- {before[at].strip()}\n+ {after[at].strip()}"


def sample(every: list[Mutant], size: int, per_module: int | None = None) -> list[Mutant]:
    """A deterministic sample spread over the modules: the lowest digests, round robin.

    The digest hashes the mutant's key, so a mutant stays in the sample while its line is
    unchanged, and a sample of N is the first N of any larger one.
    """
    by_module: dict[str, list[Mutant]] = {}
    for mutant in sorted(every, key=lambda m: m.digest):
        by_module.setdefault(mutant.module, []).append(mutant)
    if per_module is not None:
        by_module = {module: found[:per_module] for module, found in by_module.items()}
    chosen: list[Mutant] = []
    while len(chosen) < size and any(by_module.values()):
        for module in sorted(by_module):
            if by_module[module] and len(chosen) < size:
                chosen.append(by_module[module].pop(0))
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["list", "run"])
    parser.add_argument("--module", action="append", help="a module path; repeatable")
    parser.add_argument("--sample", type=int, help="run this many mutants, chosen by digest")
    parser.add_argument(
        "--per-module", type=int, help="run this many mutants of each module, chosen by digest"
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the unmutated run (when the suite has just passed, as in CI)",
    )
    parser.add_argument(
        "--match", action="append", help="only mutants whose key contains this text; repeatable"
    )
    parser.add_argument("--jobs", type=int, default=1, help="modules tested at once")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    parser.add_argument("--workdir", type=Path, help="where the copies go (default: a temp dir)")
    options = parser.parse_args(argv)
    # Stopped with SIGTERM, still restore and stop what was started (the private Redis).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))

    modules = options.module or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"not a mutated module: {', '.join(unknown)} (see MODULES)")
    every = [mutant for module in modules for mutant in mutants(module)]
    if options.match:
        every = [m for m in every if any(text in m.key for text in options.match)]
    equivalent = equivalent_keys()
    if options.command == "list":
        counts = Counter(m.module for m in every)
        for module in modules:
            print(f"{counts[module]:5}  {module}")
        print(f"{len(every):5}  total, {len(equivalent)} listed as equivalent")
        return 0

    if options.per_module:
        chosen = sample(every, options.per_module * len(modules), per_module=options.per_module)
    else:
        chosen = sample(every, options.sample) if options.sample else every
    started = time.monotonic()
    results: list[Result] = []
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="netrun-mutation-"))
    workdir.mkdir(parents=True, exist_ok=True)

    def one(module: str) -> list[Result]:
        mine = [m for m in chosen if m.module == module]
        if not mine:
            return []
        return list(
            run_module(module, mine, equivalent, workdir, skip_baseline=options.no_baseline)
        )

    try:
        with ThreadPoolExecutor(max_workers=options.jobs) as pool:
            for found in pool.map(one, modules):
                results.extend(found)
    finally:
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started

    print(f"\n{'module':48} {'mutants':>7} {'killed':>6} {'equiv':>5} {'surv':>4}  kill rate")
    for module in modules:
        mine = [r for r in results if r.module == module]
        if not mine:
            continue
        killed = sum(r.outcome in ("killed", "timeout") for r in mine)
        equiv = sum(r.outcome == "equivalent" for r in mine)
        survived = len(mine) - killed - equiv
        rate = 100.0 * killed / max(1, len(mine) - equiv)
        print(f"{module:48} {len(mine):7} {killed:6} {equiv:5} {survived:4}  {rate:5.1f}%")
    survivors = [r for r in results if r.outcome not in ("killed", "timeout", "equivalent")]
    for result in survivors:
        print(f"\nSURVIVED ({result.outcome}): {result.key}\n{result.diff}")
    print(f"\n{len(results)} mutants in {elapsed:.0f}s, {len(survivors)} not killed")
    if options.report:
        options.report.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
