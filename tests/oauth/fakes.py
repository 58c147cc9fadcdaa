"""Stand-ins for netrun.auth's JWT manager, reached through NETRUN_OAUTH_JWT_MANAGER."""

from __future__ import annotations

from typing import Any

ISSUED: list[dict[str, Any]] = []


class FakeJWTManager:
    def create_access_token(
        self, user_id: str, roles: list[str] | None = None, tenant_id: str | None = None,
        **claims: Any,
    ) -> str:  # fmt: skip
        ISSUED.append({"kind": "access", "user_id": user_id, "tenant_id": tenant_id, **claims})
        return f"access-for-{user_id}"

    def create_refresh_token(self, user_id: str, **claims: Any) -> str:
        ISSUED.append({"kind": "refresh", "user_id": user_id, **claims})
        return f"refresh-for-{user_id}"


def get_jwt_manager() -> FakeJWTManager:
    return FakeJWTManager()


NOT_CALLABLE = 42
