"""The docs' ``helpdesk`` app is the suite's test app.

Pages show tenant-scoped models as a reader writes them, in their own app
(``from helpdesk.models import Ticket``). ``tests.rbac.testapp`` declares the same models
(``tests/docs/test_helpdesk_alias.py`` keeps the two in step), so while the docs' examples
run, ``helpdesk`` and ``helpdesk.models`` are that app's modules.
"""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def helpdesk_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.rbac.testapp
    import tests.rbac.testapp.models

    monkeypatch.setitem(sys.modules, "helpdesk", tests.rbac.testapp)
    monkeypatch.setitem(sys.modules, "helpdesk.models", tests.rbac.testapp.models)
