from __future__ import annotations

import pytest
from django.test import RequestFactory

from netrun.ratelimit.keys import resolve_key, resolve_key_func

NOT_CALLABLE = "a string"


def test_get_and_post_accessors(rf: RequestFactory) -> None:
    assert resolve_key("get:q", "g", rf.get("/?q=cats")) == "g:get:q:cats"
    assert resolve_key("post:email", "g", rf.post("/", {"email": "a@b.c"})) == "g:post:email:a@b.c"
    assert resolve_key("get:q", "g", rf.get("/")) is None


def test_long_values_are_hashed(rf: RequestFactory) -> None:
    key = resolve_key("header:x-api-key", "g", rf.get("/", HTTP_X_API_KEY="k" * 500))
    assert key is not None
    assert key.startswith("g:sha256:")
    assert len(key) < 100


def test_dotted_paths_must_name_a_callable() -> None:
    with pytest.raises(ValueError, match="not callable"):
        resolve_key_func("tests.ratelimit.test_keys.NOT_CALLABLE")
    with pytest.raises(ImportError, match="cannot be imported"):
        resolve_key_func("tests.ratelimit.test_keys.missing")
