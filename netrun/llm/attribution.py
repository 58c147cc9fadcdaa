"""Who and what an LLM call is for: tenant, user, API key (or service account) and feature tags.

Budgets by scope, alerts and telemetry by scope all read one :class:`Attribution`, built from
the request context at the moment of the call::

    from netrun.llm import llm_tags

    with llm_tags("ticket-summary"):
        client.chat(messages, max_tokens=300)       # attributed to the tag "ticket-summary"

The tenant and the user come from :mod:`netrun.core.context` (the middleware binds them); the
API key or service account from :func:`api_key_context` (an authentication backend for
machine clients binds it); tags from :func:`llm_tags`, which nests (inner tags add to outer
ones) and works with ``with`` and ``async with``. Explicit arguments to
:func:`current_attribution` add tags or replace the user and key.

Framework-neutral: the standard library and :mod:`netrun.core` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from netrun.core.context import ContextBinding, current_tenant_id, current_user_id

__all__ = [
    "MAX_TAGS",
    "Attribution",
    "api_key_context",
    "current_api_key",
    "current_attribution",
    "current_tags",
    "llm_tags",
    "validate_tag",
]

#: How many tags one call may carry (each is a budget and telemetry dimension).
MAX_TAGS = 8

_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")

_tags: ContextVar[tuple[str, ...]] = ContextVar("netrun_llm_tags", default=())
_api_key: ContextVar[str | None] = ContextVar("netrun_llm_api_key", default=None)


def validate_tag(tag: object) -> str:
    """``tag`` if it is a valid feature tag, else a ``ValueError`` that names it and the rule.

    A tag is 1-64 characters of lower-case letters, digits and ``_ . : -``, starting with a
    letter or digit: it becomes a budget scope key, a database value and a metric label.
    """
    if not isinstance(tag, str) or not _TAG.match(tag):
        raise ValueError(
            f"invalid LLM feature tag {tag!r}: use 1-64 characters of a-z, 0-9, '_', '.', ':' "
            "or '-', starting with a letter or digit"
        )
    return tag


def _merged(outer: Iterable[str], added: Iterable[str]) -> tuple[str, ...]:
    tags = list(outer)
    for tag in added:
        if validate_tag(tag) not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"an LLM call carries at most {MAX_TAGS} feature tags, not {len(tags)}")
    return tuple(tags)


def llm_tags(*tags: str) -> ContextBinding[tuple[str, ...]]:
    """Add feature tags for a block (``with`` or ``async with``); ``as`` receives them all.

    Tags already bound by an outer block stay; a repeated tag counts once.
    """
    value = _merged(_tags.get(), tags)
    return ContextBinding({_tags: value}, value)


def current_tags() -> tuple[str, ...]:
    """The feature tags bound by the enclosing :func:`llm_tags` blocks, outermost first."""
    return _tags.get()


def _key_of(key_id: object) -> str | None:
    if key_id is None:
        return None
    text = str(key_id)
    if not _KEY.match(text):
        raise ValueError(
            f"invalid API key or service account id {text[:40]!r}: use 1-128 characters of "
            "letters, digits and '_ . : @ -' (an id, never the secret itself)"
        )
    return text


def api_key_context(key_id: object) -> ContextBinding[str | None]:
    """Bind the API key or service account a block's calls are for (its id, not its secret)."""
    value = _key_of(key_id)
    return ContextBinding({_api_key: value}, value)


def current_api_key() -> str | None:
    """The API key or service account id bound by :func:`api_key_context`, else ``None``."""
    return _api_key.get()


@dataclass(frozen=True, slots=True)
class Attribution:
    """The scopes one call counts against: each is ``None`` (or empty) when unknown."""

    tenant_id: str | None
    user_id: str | None = None
    api_key: str | None = None
    tags: tuple[str, ...] = ()

    def scopes(self) -> tuple[tuple[str, str], ...]:
        """``(kind, value)`` for every known scope below the tenant: user, key, then tags."""
        found: list[tuple[str, str]] = []
        if self.user_id is not None:
            found.append(("user", self.user_id))
        if self.api_key is not None:
            found.append(("key", self.api_key))
        found.extend(("tag", tag) for tag in self.tags)
        return tuple(found)


def current_attribution(
    tenant_id: str | None = None,
    *,
    tags: Iterable[str] = (),
    user_id: str | None = None,
    api_key: str | None = None,
) -> Attribution:
    """The attribution of a call made now: the context's values, completed by the arguments.

    ``tenant_id``, ``user_id`` and ``api_key`` given here win over the context; ``tags`` are
    added to the context's.
    """
    return Attribution(
        tenant_id=tenant_id if tenant_id is not None else current_tenant_id(),
        user_id=user_id if user_id is not None else current_user_id(),
        api_key=_key_of(api_key) if api_key is not None else current_api_key(),
        tags=_merged(_tags.get(), tags),
    )
