"""Fixtures of the policy tests: the Django ledger on a real PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

from netrun.llm.policy.ledgers import BudgetLedger
from tests.llm.policy import _concurrency as race


@pytest.fixture
def django_pg(postgres_dsn: str, django_db_blocker: Any) -> Iterator[BudgetLedger]:
    """DjangoLedger on a Django alias to a fresh PostgreSQL database, migrated."""
    with django_db_blocker.unblock():
        race.add_django_alias(postgres_dsn)
        try:
            call_command("migrate", "netrun_llm", database=race.DJANGO_ALIAS, verbosity=0)
            yield race.django_ledger(postgres_dsn)
        finally:
            connection = connections[race.DJANGO_ALIAS]
            connection.close()
            connection.close_pool()
            del connections[race.DJANGO_ALIAS]
            del connections.settings[race.DJANGO_ALIAS]
