"""The SQL of the RLS operations for netrun's own tables, without a database server.

The policies themselves are exercised on PostgreSQL in ``tests/rbac_rls``; here: which
tables are netrun's, how their predicate reads a plain tenant column, and the floor's text.
"""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from netrun.rbac.db import _sql, operations
from netrun.rbac.db.operations import EnableRLS, own_tenant_models, rls_tables


def test_own_tables_are_found_when_their_app_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {model._meta.db_table: field for model, field in own_tenant_models()}
    assert found == {
        "netrun_rbac_role": "tenant",
        "netrun_llm_tenant_policy": "tenant_id",
        "netrun_llm_budget_account": "tenant_id",
        "netrun_llm_budget_spend": "tenant_id",
        "netrun_llm_budget_reservation": "tenant_id",
        "netrun_llm_usage_record": "tenant_id",
        "netrun_llm_usage_hourly": "tenant_id",
        "netrun_llm_usage_tag": "tenant_id",
        "netrun_llm_usage_scope_daily": "tenant_id",
        "netrun_llm_scope_budget": "tenant_id",
        "netrun_llm_budget_alert": "tenant_id",
    }
    monkeypatch.setattr(operations, "OWN_TENANT_TABLES", (("not_installed", "Thing", "tenant_id"),))
    assert own_tenant_models() == []


def test_a_plain_text_tenant_column_compares_as_text() -> None:
    from netrun.llm.models import BudgetSpend

    [(table, predicate)] = rls_tables(BudgetSpend, connection, tenant_field="tenant_id")
    assert table == "netrun_llm_budget_spend"
    # ::text, never ::varchar(64): a cast to the column's length would truncate a longer
    # setting into a match with another tenant's ID.
    assert predicate == '"tenant_id" = ' + _sql.current_tenant_expr("text")


@isolate_apps("netrun.rbac")
def test_a_plain_non_text_tenant_column_keeps_its_type() -> None:
    class Ledger(models.Model):
        tenant_id = models.IntegerField()

        class Meta:
            app_label = "netrun_rbac"

        def __str__(self) -> str:
            return str(self.tenant_id)

    [(_table, predicate)] = rls_tables(Ledger, connection, tenant_field="tenant_id")
    assert predicate.endswith("::integer)")


def test_the_floor_is_restrictive_and_lets_only_the_cross_role_through() -> None:
    statements = _sql.enable_statements(
        connection.ops.quote_name, "t", "p", app_role="app", cross_tenant_role="o'cross"
    )
    floor = [s for s in statements if _sql.FLOOR_POLICY in s and s.startswith("CREATE")]
    assert floor == [
        'CREATE POLICY "netrun_tenant_floor" ON "t" AS RESTRICTIVE FOR ALL TO PUBLIC '
        "USING ((p) OR current_user = 'o''cross') WITH CHECK ((p) OR current_user = 'o''cross')"
    ]
    assert _sql.floor_predicate("p", None) == "p"
    assert any(_sql.FLOOR_POLICY in s for s in _sql.disable_statements(str, "t"))


def test_enable_rls_on_a_plain_column_deconstructs_with_its_field() -> None:
    operation = EnableRLS("BudgetSpend", tenant_field="tenant_id")
    assert operation.deconstruct() == (
        "EnableRLS",
        [],
        {"model_name": "BudgetSpend", "tenant_field": "tenant_id"},
    )
