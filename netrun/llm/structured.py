"""Structured output in the provider-neutral chain: ask for a JSON schema, get the object.

``chat(..., response_schema=Ticket)`` (a pydantic model, a JSON schema, or OpenAI's
``{"type": "json_schema", "json_schema": {...}}``) asks each provider the way it can answer:
OpenAI's ``response_format`` with the schema, Anthropic through a tool of that schema the
model must call, Ollama's ``format``. ``LLMResponse.parsed`` is the object (an instance of
the model when one was given); an answer that does not fit leaves it ``None`` and says why
in ``parse_error``: the call was made and billed, so it is never turned into a lost cost.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netrun.llm.types import LLMResponse

__all__ = ["ResponseSchema", "apply_schema", "response_schema"]


@dataclass(frozen=True)
class ResponseSchema:
    """The schema an answer must fit: its name, the JSON schema, and the model it builds."""

    name: str
    schema: Mapping[str, Any]
    #: A pydantic model class, or ``None`` for a plain JSON schema (parsed to a dict).
    model: Any = None
    strict: bool = False

    def parse(self, value: str | Mapping[str, Any]) -> tuple[Any, str | None]:
        """``(object, None)`` or ``(None, why)`` for the answer's text or tool input."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                return None, f"the answer is not valid JSON ({error.msg} at {error.pos})"
        if not isinstance(value, Mapping):
            return None, f"the answer is a JSON {type(value).__name__}, not an object"
        if self.model is None:
            return dict(value), None
        try:
            return self.model.model_validate(value), None
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            count = len(error.errors()) if hasattr(error, "errors") else 1
            return None, f"the answer does not fit {self.name} ({count} error(s))"

    def bound(self) -> int:
        """An upper bound of the prompt tokens the schema adds (its JSON's UTF-8 length)."""
        return 16 + len(json.dumps(dict(self.schema)).encode())


def response_schema(value: Any) -> ResponseSchema | None:
    """``value`` as a :class:`ResponseSchema`; ``ValueError`` naming what is wrong."""
    if value is None or isinstance(value, ResponseSchema):
        return value
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        return ResponseSchema(value.__name__, value.model_json_schema(), model=value)
    if not isinstance(value, Mapping):
        raise ValueError(
            "response_schema must be a pydantic model class, a JSON schema or OpenAI's "
            f"json_schema response_format, not {type(value).__name__}"
        )
    if value.get("type") == "json_schema":
        inner = value.get("json_schema")
        if not isinstance(inner, Mapping) or not isinstance(inner.get("schema"), Mapping):
            raise ValueError("a json_schema response_format needs json_schema.schema")
        name = str(inner.get("name") or "response")
        return ResponseSchema(name, inner["schema"], strict=bool(inner.get("strict")))
    if value.get("type") != "object":
        raise ValueError("response_schema must describe a JSON object (type 'object')")
    name = "".join(ch for ch in str(value.get("title") or "response") if ch.isalnum() or ch in "_-")
    return ResponseSchema(name[:64] or "response", value)


def apply_schema(
    schema: ResponseSchema | None, response: LLMResponse, *, via_tool: bool
) -> LLMResponse:
    """``response`` with ``parsed``/``parse_error`` filled in from its text, or (``via_tool``,
    Anthropic) from the call of the schema's tool, which then leaves ``tool_calls`` and
    becomes the text. An answer that called another tool is left as it is: not an answer
    yet, the agent loop goes on."""
    if schema is None:
        return response
    own = (
        next((c for c in response.tool_calls if c.name == schema.name), None) if via_tool else None
    )
    if own is not None:
        parsed, error = schema.parse(own.raw_arguments if own.parse_error else own.arguments)
        others = tuple(call for call in response.tool_calls if call is not own)
        text = response.text or own.arguments_json()
        return replace(response, text=text, tool_calls=others, parsed=parsed, parse_error=error)
    if response.tool_calls:
        return response
    if not response.complete and not response.text:
        return response
    parsed, error = schema.parse(response.text)
    return replace(response, parsed=parsed, parse_error=error)
