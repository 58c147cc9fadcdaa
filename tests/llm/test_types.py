"""``netrun.llm.types`` still names the usage shapes, which live in ``netrun.llm._usage``."""

from __future__ import annotations

import netrun.llm.types as types
from netrun.llm import _usage


def test_the_usage_names_are_the_same_objects_from_types() -> None:
    for name in ("TokenCounts", "Usage", "UsageShapeError", "usage_from"):
        assert getattr(types, name) is getattr(_usage, name), name
        assert name in types.__all__


def test_every_name_types_exported_before_the_split_still_imports() -> None:
    exported = {
        "AttemptInfo",
        "ChatMessage",
        "EmbeddingResponse",
        "LLMResponse",
        "Role",
        "StreamChunk",
        "TokenCounts",
        "Usage",
        "UsageShapeError",
        "estimate_tokens",
        "normalize_messages",
        "prompt_token_bound",
        "usage_from",
    }
    assert set(types.__all__) == exported
    assert all(hasattr(types, name) for name in exported)
    # Module constants the adapters and the governed calls import by name.
    for constant in (
        "CHARS_PER_TOKEN",
        "TOKENS_PER_MESSAGE",
        "TOKENS_PER_PROMPT",
        "FINISH_CANCELLED",
        "FINISH_INTERRUPTED",
    ):
        assert isinstance(getattr(types, constant), (int, str)), constant


def test_a_response_defaults_to_the_usage_class_of_usage_from() -> None:
    response = types.LLMResponse(text="", provider="offline", model="m")
    assert type(response.usage) is _usage.Usage
    assert types.usage_from(response) == response.usage
