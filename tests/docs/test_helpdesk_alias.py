"""rbac.md's ``helpdesk/models.py`` is the model its examples run against."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.db import models

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _documented_fields(page: str, model: str) -> dict[str, tuple[str, dict[str, object]]]:
    """``{field: (field class, literal keyword arguments)}`` of ``model`` in the page's
    ``# helpdesk/models.py`` block."""
    text = (DOCS / page).read_text(encoding="utf-8")
    (source,) = re.findall(r"```py\n(# helpdesk/models\.py.*?)```", text, re.DOTALL)
    tree = ast.parse(source)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == model]
    assert [ast.unparse(base) for base in cls.bases] == ["TenantScopedModel"]
    fields: dict[str, tuple[str, dict[str, object]]] = {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            (target,) = node.targets
            assert isinstance(target, ast.Name)
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.value.keywords if kw.arg}
            fields[target.id] = (ast.unparse(node.value.func).split(".")[-1], kwargs)
    return fields


def test_the_documented_ticket_is_the_one_the_examples_import() -> None:
    from helpdesk.models import Ticket  # the alias of tests/docs/conftest.py

    from netrun.rbac.models import TenantScopedModel

    assert issubclass(Ticket, TenantScopedModel)
    documented = _documented_fields("apps/rbac.md", "Ticket")
    assert set(documented) == {"title", "status"}
    for name, (field_class, kwargs) in documented.items():
        field = Ticket._meta.get_field(name)
        assert type(field).__name__ == field_class
        assert isinstance(field, models.Field)
        for option, value in kwargs.items():
            actual = field.default if option == "default" else getattr(field, option)
            assert actual == value, (name, option)
