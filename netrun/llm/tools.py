"""Tools in the provider-neutral chain: definitions, the model's calls, and their formats.

:class:`~netrun.llm.client.LLMClient` takes ``tools=`` in OpenAI's format
(``{"type": "function", "function": {...}}``), the Responses API's flat one, Anthropic's
(``{"name", "description", "input_schema"}``) or as :class:`ToolSpec`; each adapter renders
them in its provider's format, and every answer's calls come back as :class:`ToolCall`
(``LLMResponse.tool_calls``). A conversation carries them the same way, whatever provider
answered: an assistant :class:`~netrun.llm.types.ChatMessage` with ``tool_calls`` and a
``tool`` message per result, so a fallback from OpenAI to Anthropic (or back) keeps working
in the middle of an agent loop.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ToolCall",
    "ToolCallBuffer",
    "ToolSpec",
    "normalize_tool_choice",
    "normalize_tools",
    "parse_arguments",
    "tools_token_bound",
]

#: What OpenAI and Anthropic both accept as a function's name.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EMPTY_SCHEMA: Mapping[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: its name, what it does, and its JSON-schema arguments."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: dict(_EMPTY_SCHEMA))

    def openai(self) -> dict[str, Any]:
        function: dict[str, Any] = {"name": self.name, "parameters": dict(self.parameters)}
        if self.description:
            function["description"] = self.description
        return {"type": "function", "function": function}

    def anthropic(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {"name": self.name, "input_schema": dict(self.parameters)}
        if self.description:
            rendered["description"] = self.description
        return rendered


@dataclass(frozen=True)
class ToolCall:
    """One call the model made: the id its result must answer, the tool, the arguments.

    ``arguments`` is the parsed JSON object. A model can write arguments that are not one
    (cut off by ``max_tokens``, or malformed): then ``arguments`` is empty and
    ``parse_error`` says why; ``raw_arguments`` always holds the text as sent.
    """

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    raw_arguments: str = ""
    parse_error: str | None = None

    @classmethod
    def of(cls, id: str, name: str, arguments: str | Mapping[str, Any] | None) -> ToolCall:
        """From OpenAI's JSON text or Anthropic's (and Ollama's) object of arguments."""
        if isinstance(arguments, Mapping):
            return cls(id, name, dict(arguments), json.dumps(dict(arguments)))
        raw = arguments or ""
        parsed, error = parse_arguments(raw)
        return cls(id, name, parsed, raw, error)

    def arguments_json(self) -> str:
        """The arguments as OpenAI sends them back: the original text when there is one."""
        return self.raw_arguments or json.dumps(dict(self.arguments))


def parse_arguments(text: str) -> tuple[dict[str, Any], str | None]:
    """``(arguments, None)``, or ``({}, why)`` when ``text`` is not a JSON object."""
    if not text.strip():
        return {}, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return {}, f"the arguments are not valid JSON ({error.msg} at {error.pos})"
    if not isinstance(value, dict):
        return {}, f"the arguments are a JSON {type(value).__name__}, not an object"
    return value, None


def _spec(tool: ToolSpec | Mapping[str, Any], position: int) -> ToolSpec:
    if isinstance(tool, ToolSpec):
        spec = tool
    elif not isinstance(tool, Mapping):
        raise ValueError(f"tools[{position}] must be a mapping or a ToolSpec, not {type(tool)}")
    elif tool.get("type", "function") != "function":
        # Provider-hosted tools (web search, code interpreter) have no neutral form.
        raise ValueError(
            f"tools[{position}] has type {tool.get('type')!r}: only function tools can cross "
            "providers; pass hosted tools to the provider's SDK through govern()"
        )
    else:
        function = tool.get("function", tool)
        if not isinstance(function, Mapping):
            raise ValueError(f"tools[{position}]['function'] must be a mapping")
        schema = function.get("parameters", function.get("input_schema", _EMPTY_SCHEMA))
        spec = ToolSpec(
            name=str(function.get("name") or ""),
            description=str(function.get("description") or ""),
            parameters=schema if isinstance(schema, Mapping) else {},
        )
    if not _NAME.match(spec.name):
        raise ValueError(
            f"tools[{position}] has the name {spec.name[:80]!r}: a tool's name is 1 to 64 "
            "letters, digits, '_' or '-'"
        )
    if spec.parameters.get("type", "object") != "object":
        raise ValueError(
            f"tool {spec.name!r}: its parameters must be a JSON schema of type 'object'"
        )
    return spec


def normalize_tools(
    tools: Iterable[ToolSpec | Mapping[str, Any]] | None,
) -> tuple[ToolSpec, ...]:
    """``tools`` in any of the accepted formats as :class:`ToolSpec`; a bad definition or a
    repeated name raises ``ValueError`` naming it."""
    if tools is None:
        return ()
    if isinstance(tools, (str, bytes, Mapping)):
        raise ValueError("tools must be a list of tool definitions")
    specs = tuple(_spec(tool, position) for position, tool in enumerate(tools))
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"tool {spec.name!r} is defined twice")
        seen.add(spec.name)
    return specs


def normalize_tool_choice(choice: Any, tools: tuple[ToolSpec, ...]) -> str | None:
    """``"auto"``, ``"none"``, ``"required"`` (Anthropic's ``"any"``) or a tool's name.

    Accepts OpenAI's ``{"type": "function", "function": {"name": ...}}`` and Anthropic's
    ``{"type": "tool", "name": ...}`` / ``{"type": "any"}`` too."""
    if choice is None:
        return None
    if isinstance(choice, Mapping):
        kind = choice.get("type")
        function = choice.get("function")
        if kind == "function" and isinstance(function, Mapping):
            choice = function.get("name")
        elif kind == "tool":
            choice = choice.get("name")
        else:
            choice = kind
    if choice == "any":
        choice = "required"
    if choice in ("auto", "none", "required"):
        return str(choice)
    if isinstance(choice, str) and any(spec.name == choice for spec in tools):
        return choice
    raise ValueError(
        f"tool_choice {str(choice)[:80]!r} is neither 'auto', 'none', 'required' nor the name "
        "of one of the tools given"
    )


def tools_token_bound(tools: Iterable[ToolSpec]) -> int:
    """An upper bound of the prompt tokens the definitions add (their JSON's UTF-8 length,
    as :func:`~netrun.llm.types.prompt_token_bound` bounds text), plus framing per tool."""
    return sum(16 + len(json.dumps(spec.openai()).encode()) for spec in tools)


class ToolCallBuffer:
    """The calls of a stream, assembled from deltas by index (OpenAI) or block (Anthropic)."""

    def __init__(self) -> None:
        self._calls: dict[int, list[Any]] = {}

    def start(self, index: int, id: str | None, name: str | None) -> None:
        call = self._calls.setdefault(index, ["", "", []])
        if id:
            call[0] = id
        if name:
            call[1] = name

    def add(self, index: int, fragment: str | None) -> None:
        if fragment:
            self._calls.setdefault(index, ["", "", []])[2].append(fragment)

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall.of(id, name, "".join(parts))
            for _, (id, name, parts) in sorted(self._calls.items())
        )
