"""The documentation's examples run.

Every fenced block whose info string is exactly ``python`` in the pages listed in ``PAGES``
is executed, each in a fresh namespace. Blocks fenced ``py`` are illustrative and are not
run (the convention is described in ``docs/development.md``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: Pages whose ``python`` blocks are framework-neutral or need only the test settings.
PAGES: tuple[str, ...] = (
    "apps/core.md",
    "apps/config.md",
    "apps/cors.md",
    "apps/errors.md",
    "apps/logging.md",
    "getting-started.md",
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
        text = (DOCS / page).read_text(encoding="utf-8")
        for line, source in extract_python_blocks(text):
            params.append(pytest.param(page, line, source, id=f"{page}:{line}"))
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


def test_every_listed_page_has_an_example() -> None:
    for page in PAGES:
        assert extract_python_blocks((DOCS / page).read_text(encoding="utf-8")), page


@pytest.mark.parametrize(("page", "line", "source"), _examples())
def test_example_runs(page: str, line: int, source: str) -> None:
    # Pad with blank lines so tracebacks name the line in the page.
    code = compile("\n" * line + source, f"docs/{page}", "exec")
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(code, namespace)  # noqa: S102 -- the docs' own examples, from this repository
