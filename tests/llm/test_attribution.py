"""The attribution of a call: tenant and user from the request context, key and tags bound."""

from __future__ import annotations

import asyncio

import pytest

from netrun.core.context import bind
from netrun.llm import Attribution, api_key_context, current_attribution, llm_tags
from netrun.llm.attribution import MAX_TAGS, current_api_key, current_tags


def test_no_context_is_an_attribution_to_nobody() -> None:
    assert current_attribution() == Attribution(tenant_id=None)
    assert current_attribution().scopes() == ()


def test_the_request_context_tenant_user_key_and_nested_tags_make_the_scopes() -> None:
    with bind(tenant_id="acme", user_id=42), api_key_context("svc-reports"):
        with llm_tags("ticket-summary") as outer:
            assert outer == ("ticket-summary",)
            with llm_tags("beta", "ticket-summary") as inner:
                assert inner == ("ticket-summary", "beta")
                found = current_attribution(tags=["nightly"])
            assert current_tags() == ("ticket-summary",)
        assert current_tags() == ()
        assert current_api_key() == "svc-reports"
    assert current_api_key() is None
    assert found == Attribution("acme", "42", "svc-reports", ("ticket-summary", "beta", "nightly"))
    assert found.scopes() == (
        ("user", "42"),
        ("key", "svc-reports"),
        ("tag", "ticket-summary"),
        ("tag", "beta"),
        ("tag", "nightly"),
    )


def test_explicit_arguments_win_over_the_context() -> None:
    with bind(tenant_id="acme", user_id="1"), api_key_context("svc-a"):
        found = current_attribution("globex", user_id="2", api_key="svc-b")
    assert (found.tenant_id, found.user_id, found.api_key) == ("globex", "2", "svc-b")


@pytest.mark.parametrize("tag", ["", "Upper", "has space", "-lead", "x" * 65, 7, "ü"])
def test_a_bad_tag_is_refused_by_name(tag: object) -> None:
    with pytest.raises(ValueError, match="invalid LLM feature tag"):
        llm_tags(tag)  # type: ignore[arg-type]


def test_too_many_tags_are_refused() -> None:
    tags = [f"t{index}" for index in range(MAX_TAGS + 1)]
    with pytest.raises(ValueError, match=f"at most {MAX_TAGS}"):
        llm_tags(*tags)


def test_a_secret_looking_key_id_is_refused_without_echoing_it_whole() -> None:
    secret = "sk-" + "a" * 60 + " with a space"
    with pytest.raises(ValueError, match="invalid API key") as caught:
        api_key_context(secret)
    assert secret not in str(caught.value)


def test_tags_follow_async_tasks_and_do_not_leak_between_them() -> None:
    async def tagged(tag: str) -> tuple[str, ...]:
        async with llm_tags(tag):
            await asyncio.sleep(0)
            return current_attribution().tags

    async def main() -> list[tuple[str, ...]]:
        return list(await asyncio.gather(*(tagged(f"f{index}") for index in range(20))))

    assert asyncio.run(main()) == [(f"f{index}",) for index in range(20)]
    assert current_tags() == ()
