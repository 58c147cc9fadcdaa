"""TenantRLSRouter on its own: a mutant of ``make mutation`` the RLS scenarios let live.

The scenarios' ``default`` alias is the app alias, so a router that sent tenant models nowhere
(``_is_tenant_model``'s ``return True`` -> ``False``) still landed them on the right database.
Here the app alias is another one, as in a project whose default connects as the owner.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import override_settings

from netrun.rbac.db.router import TenantRLSRouter
from tests.rbac.testapp.models import Note, Tag, Ticket


@override_settings(NETRUN_RBAC_RLS_DATABASE="app")
def test_tenant_models_and_their_m2m_tables_read_and_write_on_the_app_alias() -> None:
    router = TenantRLSRouter()
    through = Ticket.tags.through
    for model in (Ticket, Tag, through):
        assert router.db_for_read(model) == "app", model
        assert router.db_for_write(model) == "app", model
    # Not tenant-scoped (Note has a tenant_id column but is a plain model): left to others.
    for model in (Note, Group, Group.permissions.through):
        assert router.db_for_read(model) is None, model
        assert router.db_for_write(model) is None, model
