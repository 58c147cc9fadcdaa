"""The admin of model aliases and routing groups: each target validated (a bad one is a form
error that names it), one per line in order; aliases are global, edited by superusers and
staff with the model's permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from netrun.llm.models import ModelAlias

ADD = "/admin/netrun_llm/modelalias/add/"


def _admin(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw")


@pytest.mark.django_db
def test_the_admin_adds_an_alias_with_its_targets_in_order(superuser: User) -> None:
    client = _admin(superuser)
    response = client.post(
        ADD,
        {"name": "fast", "targets": "openai/gpt-4.1-mini\n\nclaude-haiku-4-5\n", "enabled": "on"},
    )
    assert response.status_code == 302
    alias = ModelAlias.objects.get(name="fast")
    assert alias.targets == ["openai/gpt-4.1-mini", "claude-haiku-4-5"]
    assert alias.enabled
    listing = client.get("/admin/netrun_llm/modelalias/")
    assert "openai/gpt-4.1-mini \N{RIGHTWARDS ARROW} claude-haiku-4-5" in listing.content.decode()


@pytest.mark.django_db
def test_a_bad_target_is_a_form_error_that_names_it_on_add_and_on_edit(superuser: User) -> None:
    client = _admin(superuser)
    response = client.post(
        ADD, {"name": "fast", "targets": "gpt-4.1-mini\nopnai/gpt-4.1\nopenai/", "enabled": "on"}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["targets"]
    assert len(errors) == 2
    assert "'opnai/gpt-4.1' names the unknown provider 'opnai'" in errors[0]
    assert "'openai/' misses its provider or its model" in errors[1]
    assert not ModelAlias.objects.exists()

    alias = ModelAlias.objects.create(name="fast", targets=["gpt-4.1-mini"])
    change = f"/admin/netrun_llm/modelalias/{alias.pk}/change/"
    form = client.get(change).context["adminform"].form
    assert form["targets"].value() == "gpt-4.1-mini"  # one per line in the textarea
    response = client.post(change, {"name": "fast", "targets": "gpt 4.1", "enabled": "on"})
    assert response.status_code == 200
    assert "'gpt 4.1' holds spaces." in response.context["adminform"].form.errors["targets"]
    alias.refresh_from_db()
    assert alias.targets == ["gpt-4.1-mini"]
    response = client.post(change, {"name": "fast", "targets": "", "enabled": "on"})
    assert "targets" in response.context["adminform"].form.errors


@pytest.mark.django_db
def test_aliases_are_global_staff_edit_them_only_with_the_model_permission() -> None:
    staff = User.objects.create_user("staff", is_staff=True)
    client = _admin(staff)
    assert client.get(ADD).status_code == 403
    assert client.get("/admin/netrun_llm/modelalias/").status_code == 403
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_modelalias", "view_modelalias"])
    )
    response = _admin(User.objects.get(pk=staff.pk)).post(
        ADD, {"name": "smart", "targets": "anthropic/claude-sonnet-4-5", "enabled": "on"}
    )
    assert response.status_code == 302
    assert ModelAlias.objects.get().targets == ["anthropic/claude-sonnet-4-5"]
