"""Anthropic (Claude) through the official ``anthropic`` SDK (``Anthropic`` / ``AsyncAnthropic``).

System messages go to the ``system`` parameter, as the Messages API wants. Anthropic's
``input_tokens`` exclude cache reads and writes (``cache_read_input_tokens``,
``cache_creation_input_tokens``), which is netrun's convention already. The SDK's own retries
are off (``max_retries=0``); a 529 ("overloaded") becomes ``ServiceUnavailableError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from netrun.llm.adapters._call import ProviderCall
from netrun.llm.adapters._formats import anthropic_messages, anthropic_tool_request
from netrun.llm.adapters._stream import StreamState
from netrun.llm.adapters.sdk import SDKAdapter
from netrun.llm.tools import ToolCall
from netrun.llm.types import LLMResponse, Usage

if TYPE_CHECKING:
    from anthropic.types import Message, MessageDeltaUsage, RawMessageStreamEvent
    from anthropic.types import Usage as AnthropicUsage
    from pydantic import SecretStr

    from netrun.llm.conf import LLMConfig

__all__ = ["AnthropicAdapter", "anthropic_usage"]

DEFAULT_MODEL = "claude-haiku-4-5"

#: Error types Anthropic sends inside a stream (``event: error``), as HTTP statuses.
_STREAM_ERROR_STATUS = {"overloaded_error": 529, "rate_limit_error": 429, "api_error": 500}


def anthropic_usage(usage: AnthropicUsage | MessageDeltaUsage) -> Usage:
    details = usage.output_tokens_details
    return Usage.from_anthropic(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens,
        cache_read_input_tokens=usage.cache_read_input_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens,
        thinking_tokens=details.thinking_tokens if details else None,
    )


class AnthropicAdapter(SDKAdapter):
    """Claude models; the chain calls this provider ``claude`` or ``anthropic``."""

    provider: ClassVar[str] = "anthropic"
    sdk_module: ClassVar[str | None] = "anthropic"
    sdk_extra: ClassVar[str | None] = "anthropic"
    request_id_headers: ClassVar[tuple[str, ...]] = ("request-id",)
    client_class_names: ClassVar[tuple[str, str]] = ("Anthropic", "AsyncAnthropic")
    schema_via_tool: ClassVar[bool] = True
    default_model: ClassVar[str] = DEFAULT_MODEL
    key_setting: ClassVar[str] = "ANTHROPIC_API_KEY"

    @classmethod
    def _settings(cls, config: LLMConfig) -> tuple[SecretStr | None, str | None, str]:
        return config.anthropic_api_key, config.anthropic_base_url, config.anthropic_model

    # -------------------------------------------------------------- requests

    def _request(self, call: ProviderCall, *, stream: bool) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in call.messages if m.role == "system")
        request: dict[str, Any] = {
            "model": call.model,
            "max_tokens": call.max_tokens,
            "messages": anthropic_messages(call.messages),
            **anthropic_tool_request(call.tools, call.tool_choice),
            **call.options,
        }
        if call.response_schema is not None:
            # Claude answers a schema by calling a tool of that schema: forced when it is the
            # only tool, else "some tool" (the model may still use the caller's first).
            schema = call.response_schema
            answer = {
                "name": schema.name,
                "description": "Give the answer with this tool, in this exact shape.",
                "input_schema": dict(schema.schema),
            }
            request["tools"] = [*request.get("tools", ()), answer]
            if call.tool_choice is None:
                forced = {"type": "tool", "name": schema.name}
                request["tool_choice"] = {"type": "any"} if call.tools else forced
        if system:
            request["system"] = system
        if stream:
            request["stream"] = True
        return request

    def _create(self, client: Any, request: dict[str, Any]) -> Any:
        return client.messages.create(**request)

    def _response(self, message: Message, model: str) -> LLMResponse:
        text = "".join(block.text for block in message.content if block.type == "text")
        return LLMResponse(
            text=text,
            provider=self.provider,
            model=message.model or model,
            usage=anthropic_usage(message.usage),
            finish_reason=message.stop_reason,
            request_id=message._request_id,
            tool_calls=tuple(
                ToolCall.of(block.id, block.name, block.input)
                for block in message.content
                if block.type == "tool_use"
            ),
        )

    def _read_event(self, event: RawMessageStreamEvent, state: StreamState) -> str:
        if event.type == "message_start":
            state.model = event.message.model or state.model
            state.usage = anthropic_usage(event.message.usage)
        elif event.type == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                state.tool_calls.start(event.index, block.id, block.name)
        elif event.type == "content_block_delta":
            if event.delta.type == "text_delta":
                return event.delta.text
            if event.delta.type == "input_json_delta":
                state.tool_calls.add(event.index, event.delta.partial_json)
        elif event.type == "message_delta":
            # message_delta usage is cumulative; its input fields may be null.
            delta = anthropic_usage(event.usage)
            known = state.usage or Usage()
            state.usage = Usage(
                input_tokens=delta.input_tokens or known.input_tokens,
                cache_read_tokens=delta.cache_read_tokens or known.cache_read_tokens,
                cache_write_tokens=delta.cache_write_tokens or known.cache_write_tokens,
                output_tokens=delta.output_tokens,
                reasoning_tokens=delta.reasoning_tokens or known.reasoning_tokens,
            )
            state.usage_final = True
            if event.delta.stop_reason:
                state.finish_reason = event.delta.stop_reason
        return ""

    def _error_status(self, error: Any) -> int:
        status = int(error.status_code)
        if status < 400:
            # An `event: error` inside a 200 stream carries its type, not a status.
            return _STREAM_ERROR_STATUS.get(str(error.type), 502)
        return status
