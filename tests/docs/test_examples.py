"""The documentation's examples run.

Every fenced block whose info string is exactly ``python`` in the pages listed in ``PAGES``
is executed, each in a fresh namespace under the test settings. Blocks fenced ``py`` are
illustrative and are not run (the convention is described in ``docs/development.md``).

A page may need more than the test settings; its ``Page`` entry says what, and the test
provides it the way a reader's machine would, through the environment:

* ``db``: the test database of the test settings (pytest-django's ``db``), emptied after;
* ``postgres``: ``DB_URL`` is a fresh, empty database on the suite's PostgreSQL server;
* ``redis``: ``REDIS_URL`` is a Redis database of the test's own;
* ``jwt_keys``: ``AUTH_JWT_PRIVATE_KEY`` is an RSA private key (PEM), as in a deployment;
* ``llm_stub``: ``OPENAI_API_KEY`` / ``LLM_OPENAI_BASE_URL`` (and their Anthropic and Ollama
  twins) point the providers at the suite's loopback LLM stub server, so
  ``LLMClient.from_config()`` and the SDKs talk to it with no real key.

Upper-case names a block leaves behind are settings: every ``netrun.*`` dotted path in them
must import, so a settings fragment cannot name a class or module that does not exist.

A block may ``await`` at top level (as in ``python -m asyncio``): it then runs in a new event
loop. On a page whose ``runner`` is ``"pytest"`` every block is a test module: it is written
to a temporary directory, the page's modules are run by pytest in one subprocess under the
test settings (the Netrun plugin loads through its entry point, as in a project), and each
block's tests must pass, none skipped: the fixtures are shown working, not just importable.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

import pytest
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

Need = Literal["db", "postgres", "redis", "llm_stub", "jwt_keys"]


@dataclass(frozen=True)
class Page:
    path: str
    needs: tuple[Need, ...] = ()
    runner: Literal["exec", "pytest"] = "exec"


#: The pages whose ``python`` blocks run, and what they run under.
PAGES: tuple[Page, ...] = (
    Page("apps/core.md"),
    Page("apps/config.md"),
    Page("apps/cors.md"),
    Page("apps/errors.md"),
    Page("apps/logging.md"),
    Page("getting-started.md"),
    Page("apps/auth.md", needs=("redis", "jwt_keys")),
    Page("apps/db_pool.md", needs=("postgres",)),
    Page("apps/llm.md", needs=("llm_stub", "redis", "db")),
    Page("apps/oauth.md"),
    Page("apps/ratelimit.md", needs=("redis",)),
    Page("apps/rbac.md", needs=("db",)),
    Page("apps/dogfood.md"),
    Page("apps/pytest_fixtures.md", runner="pytest"),
)

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>.*)$")


def extract_python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line of the opening fence, source)`` of every block whose info string is exactly ``python``."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"]
        start = index + 1
        index = start
        body: list[str] = []
        while index < len(lines):
            line = lines[index]
            if line.strip() == fence and line.startswith(indent):
                break
            body.append(line[len(indent) :] if line.startswith(indent) else line)
            index += 1
        if info.strip() == "python" and info == info.rstrip():
            blocks.append((start, "\n".join(body) + "\n"))
        index += 1
    return blocks


def _examples() -> list[pytest.ParameterSet]:
    params: list[pytest.ParameterSet] = []
    for page in PAGES:
        text = (DOCS / page.path).read_text(encoding="utf-8")
        marks = [getattr(pytest.mark, need) for need in page.needs if need in {"postgres", "redis"}]
        if "db" in page.needs:  # a mark, so pytest-django sets the database up in time
            marks.append(pytest.mark.django_db)
        if page.runner == "pytest":
            marks.append(pytest.mark.slow)
        for line, source in extract_python_blocks(text):
            params.append(pytest.param(page, line, source, id=f"{page.path}:{line}", marks=marks))
    return params


def test_extractor_takes_only_plain_python_fences() -> None:
    text = "\n".join(
        [
            "```python",
            "a = 1",
            "```",
            "```py",
            "b = 2",
            "```",
            '```python title="x.py"',
            "c = 3",
            "```",
            "- item",
            "",
            "    ```python",
            "    d = 4",
            "    ```",
        ]
    )
    assert extract_python_blocks(text) == [(1, "a = 1\n"), (12, "d = 4\n")]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.path)
def test_every_listed_page_has_an_example(page: Page) -> None:
    assert extract_python_blocks((DOCS / page.path).read_text(encoding="utf-8"))


def test_top_level_await_runs_in_an_event_loop() -> None:
    namespace = _run("import asyncio\nawait asyncio.sleep(0)\ndone = True\n", "x.md", 0)
    assert namespace["done"] is True


def _provide(page: Page, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "postgres" in page.needs:
        monkeypatch.setenv("DB_URL", request.getfixturevalue("postgres_dsn"))
    if "redis" in page.needs:
        monkeypatch.setenv("REDIS_URL", request.getfixturevalue("redis_url"))
    if "jwt_keys" in page.needs:
        keys = request.getfixturevalue("netrun_rsa_key_pair")
        monkeypatch.setenv("AUTH_JWT_PRIVATE_KEY", keys.private_pem)
    if "llm_stub" in page.needs:
        from netrun.config import clear_settings_cache

        stub = request.getfixturevalue("netrun_llm_stub")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-docs")
        monkeypatch.setenv("LLM_OPENAI_BASE_URL", stub.openai_base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-docs")
        monkeypatch.setenv("LLM_ANTHROPIC_BASE_URL", stub.anthropic_base_url)
        monkeypatch.setenv("LLM_OLLAMA_BASE_URL", stub.ollama_base_url)
        clear_settings_cache()
        request.addfinalizer(clear_settings_cache)


def _run(source: str, page: str, line: int) -> dict[str, object]:
    # Pad with blank lines so tracebacks name the line in the page.
    code = compile(
        "\n" * line + source, f"docs/{page}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    namespace: dict[str, object] = {"__name__": "docs_example"}
    result = eval(code, namespace)  # noqa: S307 -- the docs' own examples, from this repository
    if inspect.iscoroutine(result):
        asyncio.run(result)
    return namespace


#: A ``pytest`` page's modules run under the test settings and the project's warning filters.
_PYTEST_INI = """\
[pytest]
DJANGO_SETTINGS_MODULE = tests.settings
addopts = --strict-markers -p no:cacheprovider
filterwarnings =
    error::DeprecationWarning:netrun
    error::DeprecationWarning:tests
"""


def _module_name(page: Page, line: int) -> str:
    return re.sub(r"\W", "_", f"test_{Path(page.path).stem}_{line}")


@pytest.fixture(scope="module")
def pytest_runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Page], PytestRun]:
    """Run every block of a ``pytest`` page as a test module, in one pytest subprocess.

    One run per page (Django and the test database are set up once, not once per block);
    each block's test then reads its own module's results.
    """
    runs: dict[str, PytestRun] = {}

    def run(page: Page) -> PytestRun:
        if page.path not in runs:
            folder = tmp_path_factory.mktemp(Path(page.path).stem)
            (folder / "pytest.ini").write_text(_PYTEST_INI, encoding="utf-8")
            text = (DOCS / page.path).read_text(encoding="utf-8")
            for line, source in extract_python_blocks(text):
                # Pad with blank lines so tracebacks name the line in the page.
                module = folder / f"{_module_name(page, line)}.py"
                module.write_text("\n" * line + source, encoding="utf-8")
            pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
            completed = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "--continue-on-collection-errors",
                    "--junitxml=report.xml",
                ],
                cwd=folder,
                env={**os.environ, "PYTHONPATH": pythonpath},
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            runs[page.path] = PytestRun(completed.stdout + completed.stderr, folder / "report.xml")
        return runs[page.path]

    return run


@dataclass(frozen=True)
class PytestRun:
    output: str
    report: Path

    def outcomes(self, module: str) -> dict[str, str]:
        """``{test name: "passed" | "failed" | "error" | "skipped"}`` of one module."""
        outcomes: dict[str, str] = {}
        if not self.report.exists():
            return outcomes
        # S314: the report was written a moment ago by our own pytest run.
        for case in ElementTree.parse(self.report).iter("testcase"):  # noqa: S314
            if case.get("classname", "").split(".")[-1] != module and case.get("name") != module:
                continue
            kinds = [child.tag for child in case if child.tag in {"failure", "error", "skipped"}]
            outcomes[case.get("name", "?")] = kinds[0] if kinds else "passed"
        return outcomes


@pytest.mark.parametrize(("page", "line", "source"), _examples())
def test_example_runs(
    page: Page,
    line: int,
    source: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if page.runner == "pytest":
        run = request.getfixturevalue("pytest_runs")(page)
        outcomes = run.outcomes(_module_name(page, line))
        assert outcomes, f"no test ran from this block\n{run.output}"
        assert set(outcomes.values()) == {"passed"}, f"{outcomes}\n{run.output}"
        return
    _provide(page, request, monkeypatch)
    namespace = _run(source, page.path, line)
    for setting, value in namespace.items():
        if setting.isupper():
            _assert_netrun_paths_import(setting, value)


_NETRUN_PATH = re.compile(r"netrun(\.\w+)+")


def _assert_netrun_paths_import(setting: str, value: object) -> None:
    """Every ``netrun.*`` dotted path a settings fragment names is a module or an attribute."""
    if isinstance(value, str):
        if _NETRUN_PATH.fullmatch(value):
            try:
                importlib.import_module(value)
            except ImportError:
                import_string(value)  # raises ImportError naming the path
    elif isinstance(value, dict):
        for item in value.values():
            _assert_netrun_paths_import(setting, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _assert_netrun_paths_import(setting, item)
