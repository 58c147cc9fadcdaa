"""Two tenants with a member each, and some of each tenant's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from netrun.rbac.context import TenantTestContext


@dataclass
class World:
    a: Any
    b: Any
    alice: Any  # member of A (agent)
    bob: Any  # member of B (member)
    a_ticket: Any
    a_comment: Any
    a_tag: Any
    b_ticket: Any


@pytest.fixture
def world(db: None) -> World:
    from django.contrib.auth import get_user_model

    from netrun.rbac.models import Membership, Tenant
    from tests.rbac.testapp.models import Comment, Tag, Ticket

    a = Tenant.objects.create(slug="acme", name="Acme")
    b = Tenant.objects.create(slug="globex", name="Globex")
    users = get_user_model()
    alice = users.objects.create_user("alice", password="pw", is_staff=True)
    bob = users.objects.create_user("bob", password="pw", is_staff=True)
    Membership.objects.create(user=alice, tenant=a, role="agent")
    Membership.objects.create(user=bob, tenant=b, role="member")
    with TenantTestContext(a):
        a_tag = Tag.objects.create(name="urgent")
        a_ticket = Ticket.objects.create(title="A secret")
        a_ticket.tags.add(a_tag)
        a_comment = Comment.objects.create(ticket=a_ticket, body="A's comment")
    with TenantTestContext(b):
        b_ticket = Ticket.objects.create(title="B ticket")
        Comment.objects.create(ticket=b_ticket, body="B's comment")
    return World(a, b, alice, bob, a_ticket, a_comment, a_tag, b_ticket)
