"""The contracts of tools/import_contracts.py (``make contracts``) catch what they promise to.

Each rule is shown kept by netrun's own tree and broken by a violation planted in two small
packages on disk, through the functions and through ``lint-imports`` itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.import_contracts import (
    framework_neutral_modules,
    module_files,
    private_crossings,
    stale_glue_modules,
)

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[Path]:
    """Two apps, ``shop`` and ``billing``; billing uses shop's public names only."""
    _write(
        tmp_path,
        {
            "shop/__init__.py": "from shop._cart import Cart\n__all__ = ['Cart']\n",
            "shop/_cart.py": "class Cart: ...\n_TAX = 0.2\n",
            "shop/pricing.py": "RATE = 1\n_cache = {}\n",
            "shop/django.py": "from django.conf import settings\n",
            "shop/contrib/__init__.py": "",
            "shop/contrib/fastapi.py": "import fastapi\n",
            "billing/__init__.py": "",
            "billing/invoice.py": "from shop import Cart\nfrom shop.pricing import RATE\n",
        },
    )
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.partition(".")[0] in ("shop", "billing")]:
        del sys.modules[name]


APPS = ["shop", "billing"]


def test_no_netrun_app_uses_a_private_name_of_another() -> None:
    assert private_crossings(_root_packages()) == []


def test_the_tree_is_found_without_importing_it(planted: Path) -> None:
    assert set(module_files(APPS)) == {
        "shop",
        "shop._cart",
        "shop.pricing",
        "shop.django",
        "shop.contrib",
        "shop.contrib.fastapi",
        "billing",
        "billing.invoice",
    }
    assert "shop" not in sys.modules


def test_public_names_across_apps_and_private_ones_inside_an_app_are_fine(planted: Path) -> None:
    code = "from shop._cart import _TAX\nfrom shop import pricing\nx = pricing._cache\n"
    _write(planted, {"shop/checkout.py": code})
    assert private_crossings(APPS) == []


@pytest.mark.parametrize(
    ("code", "line", "message"),
    [
        ("from shop._cart import Cart", 1, "imports shop._cart, private to shop"),
        ("import shop._cart", 1, "imports shop._cart, private to shop"),
        ("import shop._cart as cart", 1, "imports shop._cart, private to shop"),
        ("from shop import _cart", 1, "imports shop._cart, private to shop"),
        ("from shop.pricing import _cache", 1, "imports shop.pricing._cache, private to shop"),
        ("from ..shop import pricing", 0, ""),  # relative imports never leave the app
        ("from shop import pricing\n\n\ndef f():\n    return pricing._cache", 5,
         "uses shop.pricing._cache, private to shop"),
        ("import shop.pricing\nx = shop.pricing._cache", 2,
         "uses shop.pricing._cache, private to shop"),
        ("def f():\n    from shop._cart import _TAX\n    return _TAX", 2,
         "imports shop._cart, private to shop"),
    ],
)  # fmt: skip
def test_a_planted_crossing_is_reported_with_its_line(
    planted: Path, code: str, line: int, message: str
) -> None:
    _write(planted, {"billing/refund.py": code + "\n"})
    found = [(f.module, f.line, f.message) for f in private_crossings(APPS)]
    assert found == ([("billing.refund", line, message)] if message else [])


def test_a_name_left_out_of_the_modules_all_is_not_public(planted: Path) -> None:
    _write(
        planted,
        {
            "shop/tax.py": "__all__ = ['rate']\nrate = 0.2\nhelper = 1\n",
            "billing/refund.py": "from shop.tax import rate\nfrom shop.tax import helper\n",
        },
    )
    found = [str(finding) for finding in private_crossings(APPS)]
    assert found == ["billing.refund:2: imports helper, not in shop.tax.__all__"]


def test_modules_are_cores_unless_glue_by_their_place(planted: Path) -> None:
    cores = framework_neutral_modules(APPS, ["*.django", "*.contrib", "*.contrib.*"])
    assert cores == ["billing", "billing.invoice", "shop", "shop._cart", "shop.pricing"]
    assert framework_neutral_modules(APPS, ["*.django", "*.contrib.*"], ["shop.pricing"]) == [
        "billing",
        "billing.invoice",
        "shop",
        "shop._cart",
        "shop.contrib",
    ]


def test_a_glue_entry_that_is_gone_or_neutral_is_reported(planted: Path) -> None:
    files = module_files(APPS)
    glue = ["*.django", "*.contrib", "*.contrib.*"]
    listed = ["shop.pricing", "shop.gone"]
    cores = framework_neutral_modules(APPS, glue, listed)
    found = {(f.module, f.message) for f in stale_glue_modules(files, cores, listed, ["django"])}
    assert found == {
        ("shop.pricing", "is listed in glue_modules but imports no framework or glue"),
        ("shop.gone", "is listed in glue_modules but does not exist"),
    }


# ----------------------------------------------------------------------------- lint-imports


def _root_packages() -> list[str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 (tomli is in the test dependency group there)
        import tomli as tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["importlinter"]["root_packages"])


def _lint_imports(planted: Path) -> subprocess.CompletedProcess[str]:
    (planted / ".importlinter").write_text(
        textwrap.dedent(
            """\
            [importlinter]
            root_packages =
                shop
                billing
            include_external_packages = True
            contract_types =
                framework_neutral: tools.import_contracts.FrameworkNeutralContract
                private_names: tools.import_contracts.PrivateNamesContract

            [importlinter:contract:neutral]
            name = Cores import no framework
            type = framework_neutral
            forbidden_modules =
                django
                fastapi
            glue =
                *.django
                *.contrib
                *.contrib.*

            [importlinter:contract:private]
            name = Apps use public names only
            type = private_names
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(planted)])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=planted, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_lint_imports_keeps_a_clean_tree(planted: Path) -> None:
    result = _lint_imports(planted)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_lint_imports_breaks_on_a_planted_violation_of_each_contract(planted: Path) -> None:
    _write(
        planted,
        {
            "shop/pricing.py": "import django.conf\nRATE = 1\n",
            "billing/invoice.py": "from shop.pricing import RATE\nfrom shop._cart import Cart\n",
        },
    )
    result = _lint_imports(planted)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 2 broken" in result.stdout
    assert "shop.pricing:1: imports django.conf" in result.stdout
    assert "billing.invoice:2: imports shop._cart, private to shop" in result.stdout
