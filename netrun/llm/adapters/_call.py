"""What one adapter call carries, the seeds' ``execute`` API over ``chat``, and the helpers
adapters build themselves from settings with. Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from netrun.errors import ConfigurationError
from netrun.llm.structured import ResponseSchema
from netrun.llm.tools import ToolSpec
from netrun.llm.types import ChatMessage, LLMResponse, normalize_messages

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = [
    "MessagesInput",
    "ProviderCall",
    "config_limits",
    "messages_from_prompt",
    "need_setting",
]

MessagesInput = str | Iterable[ChatMessage | Mapping[str, Any]]


@dataclass(frozen=True)
class ProviderCall:
    """One call for a provider hook to make: the messages, the model, its token cap, the
    tools the model may call and the provider options given to ``chat``/``stream``
    (``temperature``...)."""

    messages: Sequence[ChatMessage]
    model: str
    max_tokens: int
    options: Mapping[str, Any]
    tools: tuple[ToolSpec, ...] = ()
    #: ``"auto"``, ``"none"``, ``"required"`` or a tool's name; ``None``: the provider's default.
    tool_choice: str | None = None
    #: The JSON schema the answer must fit (``response_schema=``), else ``None``.
    response_schema: ResponseSchema | None = None


class _Chats(Protocol):
    def chat(self, messages: MessagesInput, **options: Any) -> LLMResponse: ...

    async def achat(self, messages: MessagesInput, **options: Any) -> LLMResponse: ...


class _ExecuteAPI:
    """The seeds' ``execute(prompt, context)`` over ``chat``, for adapters and the client."""

    def execute(self: _Chats, prompt: str, context: Mapping[str, Any] | None = None) -> LLMResponse:
        """The seeds' API: ``context`` may hold ``system``, ``history`` (chat messages) and any
        keyword of ``chat`` (``model``, ``max_tokens``, provider options such as
        ``temperature``; the client's ``provider`` and ``reason``)."""
        messages, kwargs = messages_from_prompt(prompt, context)
        return self.chat(messages, **kwargs)

    async def execute_async(
        self: _Chats, prompt: str, context: Mapping[str, Any] | None = None
    ) -> LLMResponse:
        """The async twin of :meth:`execute`."""
        messages, kwargs = messages_from_prompt(prompt, context)
        return await self.achat(messages, **kwargs)


def messages_from_prompt(
    prompt: str, context: Mapping[str, Any] | None
) -> tuple[list[ChatMessage], dict[str, Any]]:
    """The seeds' ``(prompt, context)`` as chat messages plus the remaining keyword options."""
    options = dict(context or {})
    messages: list[ChatMessage] = []
    system = options.pop("system", None)
    if system:
        messages.append(ChatMessage("system", str(system)))
    history = options.pop("history", None)
    if history:
        messages.extend(normalize_messages(history))
    messages.append(ChatMessage("user", prompt))
    return messages, options


def config_limits(config: LLMConfig) -> dict[str, Any]:
    """The arguments every adapter takes from the settings: ``max_tokens`` and ``timeout``."""
    return {"max_tokens": config.max_output_tokens, "timeout": config.timeout}


def need_setting(value: object, variable: str, provider: str) -> None:
    """Raise :class:`ConfigurationError` naming ``variable`` (and its Django setting) when
    ``value`` is empty: chain entry ``provider`` cannot work without it."""
    if not value:
        raise ConfigurationError(
            f"The LLM provider {provider!r} needs {variable} "
            f"(or the Django setting NETRUN_LLM_{variable.removeprefix('LLM_')}).",
            setting=variable,
            provider=provider,
        )
