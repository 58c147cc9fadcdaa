"""What ``netrun_rbac_retrofit`` refuses before it writes anything, and the operation's
migration form (the test settings' ``testapp``; nothing touches a database)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from netrun.rbac.db.retrofit import BackfillTenant, TenantBackfillError


def _retrofit(model: str, rule: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("netrun_rbac_retrofit", model, "--tenant-from", rule, "--dry-run")
    return str(caught.value)


def test_a_model_that_is_not_tenant_scoped_is_told_to_subclass_the_mixin_first() -> None:
    message = _retrofit("testapp.Note", "tenant")
    assert "testapp.Note is not tenant-scoped yet" in message
    assert "subclass netrun.rbac.models.TenantScopedModel first" in message


def test_an_unknown_model_is_named() -> None:
    assert "No installed model 'testapp.Nope'" in _retrofit("testapp.Nope", "ticket__tenant")


def test_a_model_whose_migrations_have_its_tenant_has_nothing_to_retrofit() -> None:
    message = _retrofit("testapp.Comment", "ticket__tenant")
    assert "already has its 'tenant' field in testapp's migrations" in message


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("nope__tenant", "testapp.Comment has no field 'nope'"),
        ("ticket__title", "testapp.Ticket.title is not a foreign key"),
        ("ticket__tags__tenant", "testapp.Ticket.tags is not a foreign key"),
        ("ticket", "ends at testapp.Ticket, not at the tenant model netrun_rbac.Tenant"),
        ("tenant", "reads the field it is meant to fill"),
        ("tests.nowhere.rule", "cannot import it"),
        ("tests.rbac_retrofit.test_retrofit_plan.NOT_CALLABLE", "is not callable"),
        (" ", "must be a field path or a callable's dotted path"),
    ],
)
def test_a_rule_that_cannot_give_one_tenant_per_row_is_refused(rule: str, says: str) -> None:
    assert says in _retrofit("testapp.Comment", rule)


NOT_CALLABLE = 42


def test_backfill_tenant_round_trips_through_a_migration_file() -> None:
    operation = BackfillTenant("Invoice", rule="project__tenant", tenant_field="organisation")
    name, args, kwargs = operation.deconstruct()
    assert (name, args) == ("BackfillTenant", [])
    assert BackfillTenant(*args, **kwargs).deconstruct() == (name, args, kwargs)
    assert operation.describe() == "Backfill Invoice.organisation from project__tenant"
    assert BackfillTenant("Invoice", rule="a__tenant").deconstruct()[2] == {
        "model_name": "Invoice",
        "rule": "a__tenant",
    }


def test_the_backfill_error_names_the_count_and_the_first_keys() -> None:
    error = TenantBackfillError("billing.Invoice", "project__tenant", 12, [3, 9])
    assert str(error).startswith(
        "12 billing.Invoice row(s) get no tenant from the rule 'project__tenant' "
        "(primary keys 3, 9, ...)."
    )
    assert (error.count, error.first_pks) == (12, [3, 9])
