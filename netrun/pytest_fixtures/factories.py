"""factory-boy factories for the user, tenant and membership models.

::

    from netrun.pytest_fixtures.factories import MembershipFactory

    membership = MembershipFactory(role="agent")   # a new user in a new tenant

Importing this module needs Django set up (the models are looked up at import, as
factory-boy requires) and factory-boy installed; the plugin's fixtures import it lazily. The
tenant and membership factories exist when ``netrun.rbac`` is installed.
"""

# factory-boy's declarations carry no annotations; calling them is how factories are written.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from typing import Any

import factory.django
from django.apps import apps
from django.contrib.auth import get_user_model
from factory.declarations import LazyAttribute, Sequence, SubFactory

__all__ = ["DEFAULT_PASSWORD", "MembershipFactory", "TenantFactory", "UserFactory"]

#: The password every factory user has (hashed with the project's hasher).
DEFAULT_PASSWORD = "netrun-test-password"  # noqa: S105 - a test fixture value, not a secret


def _user_factory() -> type[factory.django.DjangoModelFactory[Any]]:
    # Built from the active user model: a custom model may log in by email, not username.
    model = get_user_model()
    username_field = model.USERNAME_FIELD
    fields = {field.name for field in model._meta.get_fields()}
    attrs: dict[str, Any] = {
        "Meta": type("Meta", (), {"model": model, "skip_postgeneration_save": True}),
        "password": factory.django.Password(DEFAULT_PASSWORD),
    }
    if username_field == "email":
        attrs["email"] = Sequence(lambda n: f"user{n}@netrun.test")
    else:
        attrs[username_field] = Sequence(lambda n: f"netrun-user-{n}")
        if "email" in fields:
            attrs["email"] = LazyAttribute(
                lambda user: f"{getattr(user, username_field)}@netrun.test"
            )
    return type("UserFactory", (factory.django.DjangoModelFactory,), attrs)


UserFactory = _user_factory()

TenantFactory: Any = None
MembershipFactory: Any = None

if apps.is_installed("netrun.rbac"):
    from netrun.rbac.swapping import get_tenant_model

    class _TenantFactory(factory.django.DjangoModelFactory[Any]):
        """A tenant of the default model (``slug``, ``name``); subclass it for a swapped one."""

        class Meta:
            model = get_tenant_model()
            django_get_or_create = ("slug",)

        slug = Sequence(lambda n: f"tenant-{n}")
        name = LazyAttribute(lambda tenant: tenant.slug.replace("-", " ").title())

    class _MembershipFactory(factory.django.DjangoModelFactory[Any]):
        """A user's membership of a tenant, with one role (``"member"`` by default)."""

        class Meta:
            model = apps.get_model("netrun_rbac", "Membership")
            django_get_or_create = ("user", "tenant")

        user = SubFactory(UserFactory)
        tenant = SubFactory(_TenantFactory)
        role = "member"

    TenantFactory = _TenantFactory
    MembershipFactory = _MembershipFactory
