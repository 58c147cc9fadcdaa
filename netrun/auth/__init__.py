"""Netrun auth: JWT issuing and verification with key rotation, DRF and FastAPI integration.

Level 2. The framework-neutral core::

    from netrun.auth import AuthConfig, JWTManager

    manager = JWTManager(AuthConfig(jwt_private_key=private_pem, jwt_public_key=public_pem))
    token = manager.create_access_token(user_id="42", roles=["agent"], tenant_id="acme")
    claims = manager.verify(token)

Under Django, :func:`get_jwt_manager` builds the manager from ``NETRUN_AUTH_*`` settings (or
``AUTH_*`` variables) with a denylist in the Django cache. The glue is referenced by dotted
path: ``netrun.auth.drf.JWTAuthentication``, ``netrun.auth.middleware.JWTAuthenticationMiddleware``,
``netrun.auth.urls`` (JWKS), ``netrun.auth.cookies`` (httpOnly-cookie transport with CSRF),
``netrun.auth.simplejwt``, ``netrun.auth.contrib.fastapi``. ``JWTManager.revoke_user`` refuses
every earlier token of a user on every worker (wired to password change and deactivation).

This module imports without Django installed or configured.
"""

from __future__ import annotations

from netrun.auth._authenticate import (
    authenticate_token,
    bearer_token,
    get_idp_verifier,
    reset_idp_verifier,
)
from netrun.auth._simplejwt_settings import simple_jwt_settings
from netrun.auth.audit import audit_failure, audit_success
from netrun.auth.authz import (
    CasbinAuthorizer,
    check_tenant_access,
    has_roles,
    require_permissions,
    require_roles,
)
from netrun.auth.conf import ALGORITHMS, AuthConfig
from netrun.auth.denylist import Denylist, MemoryDenylist, RedisDenylist
from netrun.auth.exceptions import (
    AuthenticationError,
    AuthorizationError,
    AuthUnavailableError,
    PermissionDeniedError,
    TenantAccessDeniedError,
    TokenExpiredError,
    TokenInvalidError,
    TokenRejectedError,
    failure_reason,
)
from netrun.auth.idp import JWKSVerifier
from netrun.auth.keys import JWTKey, KeyRing, key_ring_from_config, valid_kid
from netrun.auth.tokens import (
    JWTManager,
    TokenPair,
    build_denylist,
    get_jwt_manager,
    reset_jwt_manager,
)

# netrun-auth 1.2 re-exported the 429 of netrun-errors (the seeds): keep importing it here.
from netrun.errors import RateLimitExceededError

__all__ = [
    "ALGORITHMS",
    "AuthConfig",
    "AuthUnavailableError",
    "AuthenticationError",
    "AuthorizationError",
    "CasbinAuthorizer",
    "Denylist",
    "JWKSVerifier",
    "JWTKey",
    "JWTManager",
    "KeyRing",
    "MemoryDenylist",
    "PermissionDeniedError",
    "RateLimitExceededError",
    "RedisDenylist",
    "TenantAccessDeniedError",
    "TokenExpiredError",
    "TokenInvalidError",
    "TokenPair",
    "TokenRejectedError",
    "audit_failure",
    "audit_success",
    "authenticate_token",
    "bearer_token",
    "build_denylist",
    "check_tenant_access",
    "failure_reason",
    "get_idp_verifier",
    "get_jwt_manager",
    "has_roles",
    "key_ring_from_config",
    "require_permissions",
    "require_roles",
    "reset_idp_verifier",
    "reset_jwt_manager",
    "simple_jwt_settings",
    "valid_kid",
]
