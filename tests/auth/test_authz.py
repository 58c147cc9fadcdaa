"""Roles, permissions and the optional casbin hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from netrun.auth import (
    CasbinAuthorizer,
    PermissionDeniedError,
    has_roles,
    require_permissions,
    require_roles,
)
from netrun.core.deps import MissingDependencyError, is_available


def test_roles() -> None:
    claims = {"sub": "1", "roles": ["agent", "viewer"]}
    assert has_roles(claims, ["agent"])
    assert has_roles(claims, [])
    assert not has_roles(claims, ["agent", "admin"], require_all=True)
    assert has_roles({"roles": "agent"}, ["agent"])
    assert not has_roles({"roles": 5}, ["agent"])
    require_roles(claims, ["viewer"])
    with pytest.raises(PermissionDeniedError) as caught:
        require_roles(claims, ["admin"])
    assert caught.value.details == {"required_roles": ["admin"]}


def test_permissions() -> None:
    require_permissions({"permissions": ["a", "b"]}, ["a"])
    with pytest.raises(PermissionDeniedError) as caught:
        require_permissions({"permissions": ["a"]}, ["a", "c"])
    assert caught.value.details == {"missing": ["c"]}


class FakeEnforcer:
    """Stands in for casbin.Enforcer: allows what its policy lists."""

    def __init__(self, *policy: tuple[str, ...]) -> None:
        self.policy = set(policy)
        self.calls: list[tuple[Any, ...]] = []

    def enforce(self, *request: Any) -> bool:
        self.calls.append(request)
        return request in self.policy


def test_casbin_hook_with_tenant() -> None:
    enforcer = FakeEnforcer(("7", "acme", "tickets", "read"))
    authorizer = CasbinAuthorizer(enforcer)
    claims = {"sub": "7", "tenant_id": "acme"}
    authorizer.check(claims, "tickets", "read")
    with pytest.raises(PermissionDeniedError):
        authorizer.check(claims, "tickets", "delete")
    with pytest.raises(PermissionDeniedError):
        authorizer.check({"sub": "7", "tenant_id": "globex"}, "tickets", "read")


def test_casbin_hook_without_tenant() -> None:
    authorizer = CasbinAuthorizer(FakeEnforcer(("7", "tickets", "read")), with_tenant=False)
    assert authorizer.allowed({"sub": "7"}, "tickets", "read")


def test_casbin_missing_names_the_extra(hide_modules: Callable[..., None]) -> None:
    hide_modules("casbin")
    assert not is_available("casbin")
    with pytest.raises(MissingDependencyError, match=r"netrun\[casbin\]"):
        CasbinAuthorizer.from_files("model.conf", "policy.csv")
