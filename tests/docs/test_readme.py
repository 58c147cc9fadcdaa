"""The README's "Add Netrun to an existing Django project" works as written.

Its settings and urls fragment is pasted into a fresh ``django-admin startproject mysite``
(the ``...`` standing for what the project already has), and every command its bash block
names runs in that project: none is an unknown command, and ``netrun_doctor`` finds no
problem. The README's other ``python`` blocks run as the docs' examples do.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.test_examples import extract_python_blocks

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent

_BASH_BLOCK = re.compile(r"^```bash\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _fragment() -> tuple[str, str]:
    """The settings part and the urls part of the section's first ``python`` block."""
    (_, source), *_ = extract_python_blocks(_section("Add Netrun to an existing Django project"))
    settings_part, urls_part = source.split("# urls.py\n")
    return settings_part, urls_part


def _commands() -> list[str]:
    """Every command of the section's bash block after the install: ``a  # or: b`` is two."""
    blocks = _BASH_BLOCK.findall(_section("Add Netrun to an existing Django project"))
    commands: list[str] = []
    for block in blocks:
        for line in block.splitlines():
            first, _, comment = line.partition("#")
            alternatives = [first, comment.removeprefix(" or:")] if "or:" in comment else [first]
            commands += [command.strip() for command in alternatives if command.strip()]
    return [command for command in commands if not command.startswith("pip ")]


def _readme_apps() -> list[str]:
    settings_part, _ = _fragment()
    tree = ast.parse(settings_part)
    (assign,) = [node for node in tree.body if isinstance(node, ast.Assign)]
    assert isinstance(assign.value, ast.List)
    return [item.value for item in assign.value.elts if isinstance(item, ast.Constant) and isinstance(item.value, str)]  # fmt: skip


def test_the_readme_names_the_apps_and_the_commands_it_documents() -> None:
    apps = _readme_apps()
    assert "netrun.dogfood" in apps  # manage.py netrun_dogfood is that app's command
    assert [c.split()[:3] for c in _commands()] == [
        ["python", "manage.py", "netrun_doctor"],
        ["netrun", "doctor", "--settings"],
        ["python", "manage.py", "netrun_dogfood"],
        ["netrun", "dogfood", "--settings"],
    ]


@pytest.fixture(scope="module")
def mysite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ``startproject mysite`` with the README's fragment pasted in."""
    folder = tmp_path_factory.mktemp("readme")
    subprocess.run(
        [BIN / "django-admin", "startproject", "mysite", str(folder)],
        check=True, capture_output=True, env=_env(folder),
    )  # fmt: skip
    settings_part, urls_part = _fragment()
    # "..." is what the project already has.
    settings_part = settings_part.replace("[\n    ...,", "[\n    *INSTALLED_APPS,")
    urls_part = urls_part.replace("[...,", "[*urlpatterns,")
    assert "..." not in settings_part + urls_part
    with (folder / "mysite" / "settings.py").open("a", encoding="utf-8") as settings:
        settings.write("\n" + settings_part)
    with (folder / "mysite" / "urls.py").open("a", encoding="utf-8") as urls:
        urls.write("\n" + urls_part)
    return folder


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "COVERAGE_PROCESS_START"}}  # fmt: skip
    return {**env, "PATH": os.pathsep.join([str(BIN), env.get("PATH", "")])}


def _run(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(
        argv, cwd=folder, env=_env(folder), capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("command", _commands())
def test_every_readme_command_runs_in_a_fresh_project(command: str, mysite: Path) -> None:
    result = _run(command, mysite)
    output = result.stdout + result.stderr
    assert "Unknown command" not in output
    assert "No such command" not in output
    if "doctor" in command:
        assert result.returncode == 0, output
        assert "PROBLEMS FOUND" not in output
    else:
        # A verdict on the project: the README's fragment wires no middleware, which the
        # report says (that is what the command is for), so only a report is asserted.
        assert "Netrun dogfood" in result.stdout, output
        assert "[FAIL] middleware" in result.stdout
        assert "ErrorEnvelopeMiddleware is missing" in result.stdout


def test_the_health_route_the_readme_adds_answers(mysite: Path) -> None:
    probe = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/health/', HTTP_HOST='localhost')\n"
        "print(response.status_code, json.loads(response.content)['status'])\n"
    )
    env = {**_env(mysite), "DJANGO_SETTINGS_MODULE": "mysite.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=mysite, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=mysite,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["200", "ok"], result.stderr


@pytest.mark.parametrize(
    ("line", "source"),
    [block for block in extract_python_blocks(README) if "INSTALLED_APPS" not in block[1]],
)
def test_readme_python_examples_run(line: int, source: str) -> None:
    code = compile("\n" * line + source, "README.md", "exec")
    exec(code, {"__name__": "readme_example"})  # noqa: S102 -- the README's own example
