"""Revoke every token of a user whose password changes or who is deactivated.

Three receivers on the user model (``AUTH_USER_MODEL``), connected in ``ready()``:
``post_init`` and ``post_save`` remember the password hash and ``is_active`` as loaded or
saved; ``pre_save`` compares them with what is about to be written and, when the hash
changed (``set_password``, ``set_unusable_password``, a hash assigned directly) or
``is_active`` went from true to false, calls :func:`netrun.auth.tokens.revoke_user_tokens`
*before* the row is written. So a denylist store that cannot be reached refuses the save
(503 ``AUTH_UNAVAILABLE``) instead of leaving the old tokens working, and a change rolled back
afterwards only logs the user out.

Not seen, by design of Django signals: ``QuerySet.update()`` and raw SQL. Call
``get_jwt_manager().revoke_user(user_id)`` yourself there. ``NETRUN_AUTH_REVOKE_ON_USER_CHANGE
= False`` turns the receivers off.
"""

from __future__ import annotations

from typing import Any

from netrun.auth.conf import AuthConfig
from netrun.auth.denylist import Denylist
from netrun.auth.tokens import build_denylist, get_jwt_manager, revoke_user_tokens
from netrun.config import get_settings
from netrun.errors import ConfigurationError

__all__ = ["remember_credentials", "revoke_on_credentials_change"]

#: Where the loaded or saved credentials are kept on the instance.
_SNAPSHOT = "_netrun_auth_credentials"


def remember_credentials(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_init`` / ``post_save``: remember the hash and ``is_active`` (deferred ones stay unread)."""
    state = vars(instance)
    vars(instance)[_SNAPSHOT] = (state.get("password"), state.get("is_active"))


def _denylist(config: AuthConfig) -> Denylist:
    try:
        # The shared manager's denylist, so that a "memory" one is the one verification reads.
        return get_jwt_manager().denylist
    except ConfigurationError:
        # No keys here (an admin-only server): the shared store still needs the cutoff.
        return build_denylist(config)


def revoke_on_credentials_change(
    sender: Any,
    instance: Any,
    raw: bool = False,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    """``pre_save``: revoke the user's tokens when the password hash changes or it is deactivated."""
    before = vars(instance).get(_SNAPSHOT)
    if raw or before is None or instance._state.adding:
        return
    if update_fields is not None and not {"password", "is_active"}.intersection(update_fields):
        return
    config = get_settings(AuthConfig)
    if not config.revoke_on_user_change:
        return
    state = vars(instance)
    password, active = before
    password_changed = password is not None and state.get("password", password) != password
    deactivated = bool(active) and not state.get("is_active", active)
    if not (password_changed or deactivated):
        return
    field = "pk" if config.user_id_field == "pk" else config.user_id_field
    user_id = getattr(instance, field)
    if user_id is None:
        return
    revoke_user_tokens(_denylist(config), config, user_id)
