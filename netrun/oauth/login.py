"""What happens after the identity provider vouched for a user: tenant, user, then tokens.

Three hooks, each a dotted path resolved at use (so tests and projects swap them with
``override_settings``):

* ``NETRUN_OAUTH_TENANT_RESOLVER``: ``callable(identity) -> str | None``, the tenant the
  sign-in belongs to. The default, :func:`resolve_tenant`, maps the IdP tenant ID claim
  (``tid``) or the VERIFIED email domain through ``NETRUN_OAUTH_TENANT_MAP``.
* ``NETRUN_OAUTH_TOKEN_ISSUER``: ``callable(*, user, identity, tenant_id) -> Mapping``, the
  JSON answer of a ``"jwt"`` mode login. The default, :func:`issue_netrun_jwt_pair`, asks
  the JWT manager named by ``NETRUN_OAUTH_JWT_MANAGER`` (``netrun.auth.get_jwt_manager``)
  for a netrun access/refresh pair. netrun.oauth never imports netrun.auth: the two are
  independent packages of the same level, joined only by this setting.
* User linking (:func:`link_user`) is not a hook: it is the ``OAuthIdentity`` model's job.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from netrun.errors import AuthenticationError, ConfigurationError
from netrun.logging import get_logger
from netrun.oauth._client import ExternalIdentity
from netrun.oauth.conf import conf
from netrun.oauth.models import OAuthIdentity

__all__ = [
    "JWTManagerLike",
    "TenantResolver",
    "TokenIssuer",
    "issue_netrun_jwt_pair",
    "link_user",
    "load_hook",
    "resolve_tenant",
]

logger = get_logger(__name__)

TenantResolver = Callable[[ExternalIdentity], "str | None"]


class TokenIssuer(Protocol):
    def __call__(
        self, *, user: AbstractBaseUser, identity: ExternalIdentity, tenant_id: str | None
    ) -> Mapping[str, Any]: ...


class JWTManagerLike(Protocol):
    """The part of ``netrun.auth.JWTManager`` the default issuer uses."""

    def create_access_token(
        self,
        user_id: str,
        roles: list[str] | None = None,
        tenant_id: str | None = None,
        **claims: Any,
    ) -> str: ...

    def create_refresh_token(self, user_id: str, **claims: Any) -> str: ...


def load_hook(setting: str, path: str) -> Any:
    """Import the dotted path of ``setting``; a failure names the setting, never a stack."""
    try:
        return import_string(path)
    except ImportError as error:
        raise ConfigurationError(f"{setting} = {path!r} cannot be imported: {error}.") from None


def resolve_tenant(identity: ExternalIdentity) -> str | None:
    """The default tenant resolver: ``tid`` or the verified email domain, mapped.

    Only values listed in ``NETRUN_OAUTH_TENANT_MAP`` resolve: a raw email domain must never
    become a tenant by itself (anyone can own a verified ``gmail.com`` address), and an
    unlisted IdP directory is a stranger.
    """
    # Values as set: netrun.oauth.E009 reports a bad shape, which resolves nothing here.
    tenant_map = conf.tenant_map if isinstance(conf.tenant_map, Mapping) else {}
    rules = conf.tenant_rules
    for rule in (rules,) if isinstance(rules, str) else rules:
        if rule == "tid":
            key = identity.claims.get("tid")
        elif rule == "email_domain":
            key = identity.email_domain
        else:
            continue
        if isinstance(key, str) and key in tenant_map:
            return str(tenant_map[key])
    return None


_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def _new_username(identity: ExternalIdentity, max_length: int) -> str:
    base = _USERNAME_UNSAFE.sub("_", f"{identity.provider}_{identity.subject}")
    if len(base) <= max_length:
        return base
    # Long subjects (Entra's are 43 characters, others more) still give a unique name.
    digest = hashlib.sha256(base.encode()).hexdigest()[:16]
    return f"{base[: max_length - 17]}_{digest}"


def _create_user(identity: ExternalIdentity) -> AbstractBaseUser:
    user_model = get_user_model()
    username_field = user_model.USERNAME_FIELD
    email = identity.email if identity.email_verified else None
    if username_field == user_model.get_email_field_name():
        if email is None:
            raise AuthenticationError(
                "The identity provider did not share a verified email address.",
                reason="no_verified_email",
            )
        username = email
    else:
        max_length = getattr(user_model._meta.get_field(username_field), "max_length", None) or 150
        username = _new_username(identity, int(max_length))
    fields: dict[str, Any] = {username_field: username}
    email_field = user_model.get_email_field_name()
    if email is not None and email_field != username_field:
        fields[email_field] = email
    user = user_model(**fields)
    # The provider is the only way in: no password can be guessed or reset into.
    user.set_unusable_password()
    user.save()
    return user


def _user_by_verified_email(identity: ExternalIdentity) -> AbstractBaseUser | None:
    if not (conf.link_by_email and identity.email_verified and identity.email):
        return None
    user_model = get_user_model()
    email_field = user_model.get_email_field_name()
    matches = list(
        user_model._default_manager.filter(**{f"{email_field}__iexact": identity.email})[:2]
    )
    # Two accounts with one address: linking either would be a guess.
    return matches[0] if len(matches) == 1 else None


def link_user(identity: ExternalIdentity, tenant_id: str | None) -> AbstractBaseUser:
    """The user linked to ``identity``, linking or creating one on the first sign-in."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return _link_user(identity, tenant_id)
        except IntegrityError:
            # A concurrent first sign-in of the same identity won the race: use its row.
            continue
    raise AuthenticationError("The sign-in could not be completed.", reason="link_conflict")


def _link_user(identity: ExternalIdentity, tenant_id: str | None) -> AbstractBaseUser:
    link = (
        OAuthIdentity.objects.select_related("user")
        .filter(provider=identity.provider, subject=identity.subject)
        .first()
    )
    now = timezone.now()
    if link is not None:
        link.email = identity.email or ""
        link.tenant_id = tenant_id or ""
        link.last_login = now
        link.save(update_fields=["email", "tenant_id", "last_login"])
        user = cast(AbstractBaseUser, link.user)
        created = False
    else:
        found = _user_by_verified_email(identity)
        if found is None and not conf.create_users:
            raise AuthenticationError("No account is linked to this sign-in.", reason="no_account")
        user = found or _create_user(identity)
        created = found is None
        OAuthIdentity.objects.create(
            user=user,
            provider=identity.provider,
            subject=identity.subject,
            email=identity.email or "",
            tenant_id=tenant_id or "",
            last_login=now,
        )
    if not user.is_active:
        raise AuthenticationError("This account is disabled.", reason="inactive_user")
    logger.info(
        "oauth_identity_linked",
        provider=identity.provider,
        user_id=str(user.pk),
        created_user=created,
    )
    return user


def issue_netrun_jwt_pair(
    *, user: AbstractBaseUser, identity: ExternalIdentity, tenant_id: str | None
) -> Mapping[str, Any]:
    """The default ``NETRUN_OAUTH_TOKEN_ISSUER``: a netrun access/refresh JWT pair."""
    factory = load_hook("NETRUN_OAUTH_JWT_MANAGER", conf.jwt_manager)
    manager = cast(JWTManagerLike, factory())
    user_id = str(user.pk)
    return {
        "access_token": manager.create_access_token(
            user_id, roles=None, tenant_id=tenant_id, idp=identity.provider
        ),
        "refresh_token": manager.create_refresh_token(user_id, tenant_id=tenant_id),
        "token_type": "Bearer",
    }
