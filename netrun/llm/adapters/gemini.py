"""Google Gemini through the official ``google-genai`` SDK (``genai.Client``, its ``.aio``).

System messages become ``system_instruction``; the assistant is the ``model`` role; tool
calls are ``function_call`` parts and their results ``function_response`` parts (which
name the function, so a result is matched to its call by id). Gemini's
``prompt_token_count`` INCLUDES the cached tokens and its thoughts are billed as output
besides ``candidates_token_count``: :func:`~netrun.llm.types.usage_from` reads that.
The SDK's own retries stay off: :class:`~netrun.llm.client.LLMClient` retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from netrun.errors import BadGatewayError, NetrunException
from netrun.llm.adapters._call import ProviderCall
from netrun.llm.adapters._flow import Flow, emit_texts, wait
from netrun.llm.adapters._formats import turns
from netrun.llm.adapters._stream import StreamState
from netrun.llm.adapters.errors import (
    connection_error,
    error_for_status,
    map_transport_error,
    parse_retry_after,
)
from netrun.llm.adapters.sdk import HostedAdapter
from netrun.llm.tools import ToolCall
from netrun.llm.types import ChatMessage, LLMResponse, Usage, usage_from

if TYPE_CHECKING:
    import httpx
    from google import genai
    from pydantic import SecretStr

    from netrun.llm.conf import LLMConfig

__all__ = ["GeminiAdapter"]

DEFAULT_MODEL = "gemini-2.5-flash"
_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}


def gemini_contents(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Every non-system message as Gemini ``contents``; consecutive tool results share one
    ``user`` turn, as the API wants them answered together."""
    names = {call.id: call.name for m in messages for call in m.tool_calls}
    contents: list[dict[str, Any]] = []
    for message in turns(messages):
        if isinstance(message, tuple):
            results = [
                {
                    "function_response": {
                        "id": result.tool_call_id,
                        "name": names.get(result.tool_call_id or "", "tool"),
                        "response": {"result": result.content},
                    }
                }
                for result in message
            ]
            contents.append({"role": "user", "parts": results})
            continue
        parts: list[dict[str, Any]] = [{"text": message.content}] if message.content else []
        parts += [
            {"function_call": {"id": call.id, "name": call.name, "args": dict(call.arguments)}}
            for call in message.tool_calls
        ]
        role = "model" if message.role == "assistant" else "user"
        contents.append({"role": role, "parts": parts or [{"text": ""}]})
    return contents


class GeminiAdapter(HostedAdapter):
    """Gemini models through the Gemini Developer API; ``base_url`` points it at a proxy or
    a stub."""

    provider: ClassVar[str] = "gemini"
    sdk_module: ClassVar[str | None] = "google.genai"
    sdk_extra: ClassVar[str | None] = "gemini"

    default_model: ClassVar[str] = DEFAULT_MODEL
    key_setting: ClassVar[str] = "GEMINI_API_KEY"
    _http_sync: httpx.Client | None = None
    _http_async: httpx.AsyncClient | None = None

    @classmethod
    def _settings(cls, config: LLMConfig) -> tuple[SecretStr | None, str | None, str]:
        return config.gemini_api_key, config.gemini_base_url, config.gemini_model

    # -------------------------------------------------------------- the SDK clients

    def _open_client(self, *, asynchronous: bool) -> genai.Client:
        # The SDK talks through the httpx clients given here (not aiohttp, which it prefers
        # for async when installed): one transport, whose errors map_error knows.
        self._installed_client_classes()
        import httpx
        from google import genai
        from google.genai import types

        transport: dict[str, Any]
        if asynchronous:
            self._http_async = httpx.AsyncClient(timeout=self.timeout)
            transport = {"httpx_async_client": self._http_async}
        else:
            self._http_sync = httpx.Client(timeout=self.timeout)
            transport = {"httpx_client": self._http_sync}
        options = types.HttpOptions(
            base_url=self.base_url,
            timeout=int(self.timeout * 1000),  # milliseconds
            headers=self.default_headers or None,
            **transport,
        )
        return genai.Client(api_key=self._api_key, http_options=options)

    def _client_classes(self) -> tuple[type[genai.Client], type[genai.Client]]:
        from google import genai

        return genai.Client, genai.Client

    def close(self) -> None:
        """Close the sync HTTP client, if one was opened."""
        self._sync = None
        if self._http_sync is not None:
            self._http_sync.close()
            self._http_sync = None

    async def aclose(self) -> None:
        """Close the async HTTP client, if one was opened."""
        self._async = None
        if self._http_async is not None:
            await self._http_async.aclose()
            self._http_async = None

    # -------------------------------------------------------------- requests

    def _request(self, call: ProviderCall) -> dict[str, Any]:
        config: dict[str, Any] = {"max_output_tokens": call.max_tokens, **call.options}
        system = "\n\n".join(m.content for m in call.messages if m.role == "system")
        if system:
            config["system_instruction"] = system
        if call.tools:
            from google.genai import types

            # The SDK's own types: a plain dict's keys would go out as written, not camelCased.
            declarations = [
                types.FunctionDeclaration(
                    name=spec.name,
                    description=spec.description or None,
                    parameters_json_schema=dict(spec.parameters),
                )
                for spec in call.tools
            ]
            config["tools"] = [types.Tool(function_declarations=declarations)]
            if call.tool_choice is not None:
                mode = _MODES.get(call.tool_choice, "ANY")
                calling: dict[str, Any] = {"mode": mode}
                if call.tool_choice not in _MODES:
                    calling["allowed_function_names"] = [call.tool_choice]
                config["tool_config"] = {"function_calling_config": calling}
        if call.response_schema is not None:
            config["response_mime_type"] = "application/json"
            config["response_json_schema"] = dict(call.response_schema.schema)
        return {"model": call.model, "contents": gemini_contents(call.messages), "config": config}

    def _response(self, answer: Any, model: str) -> LLMResponse:
        text, calls, finish = self._read(answer)
        return LLMResponse(
            text=text,
            provider=self.provider,
            model=answer.model_version or model,
            usage=self._usage(answer),
            finish_reason=finish,
            request_id=answer.response_id,
            tool_calls=tuple(calls),
        )

    def _usage(self, answer: Any) -> Usage:
        if answer.usage_metadata is None:
            raise BadGatewayError(
                f"The LLM provider {self.provider!r} reported no usage.",
                {"provider": self.provider},
            )
        return usage_from(answer.usage_metadata)

    @staticmethod
    def _read(answer: Any) -> tuple[str, list[ToolCall], str | None]:
        """The text, the calls and the finish reason of a response or stream chunk."""
        candidate = answer.candidates[0] if answer.candidates else None
        if candidate is None:
            return "", [], None
        text, calls = "", []
        for index, part in enumerate(candidate.content.parts or () if candidate.content else ()):
            if part.text and not part.thought:
                text += part.text
            if part.function_call is not None:
                function = part.function_call
                call_id = function.id or f"call_{index}"
                calls.append(ToolCall.of(call_id, function.name or "", function.args or {}))
        finish = candidate.finish_reason
        return text, calls, (finish.value if hasattr(finish, "value") else finish)

    # -------------------------------------------------------------- the flows

    def _models(self, asynchronous: bool) -> Any:
        client = self._client_for(asynchronous)
        return client.aio.models if asynchronous else client.models

    def _reply(self, call: ProviderCall, *, asynchronous: bool) -> Flow[LLMResponse]:
        answer = yield wait(self._models(asynchronous).generate_content(**self._request(call)))
        return self._response(answer, call.model)

    def _deltas(self, call: ProviderCall, state: StreamState, *, asynchronous: bool) -> Flow[None]:
        models = self._models(asynchronous)
        stream = yield wait(models.generate_content_stream(**self._request(call)))
        yield from emit_texts(stream, partial(self._read_chunk, state=state))

    def _read_chunk(self, chunk: Any, state: StreamState) -> str:
        if chunk.model_version:
            state.model = chunk.model_version
        if chunk.response_id:
            state.request_id = chunk.response_id
        if chunk.usage_metadata is not None:
            state.usage = usage_from(chunk.usage_metadata)
        text, calls, finish = self._read(chunk)
        for call in calls:
            index = len(state.tool_calls.calls())
            state.tool_calls.start(index, call.id, call.name)
            state.tool_calls.add(index, call.arguments_json())
        if finish:
            state.finish_reason = finish
            state.usage_final = state.usage is not None
        return text

    def map_error(self, error: Exception) -> NetrunException | None:
        from google.genai import errors

        if isinstance(error, errors.APIError):
            headers = getattr(error.response, "headers", None) or {}
            return error_for_status(
                self.provider, int(error.code or 502), retry_after=parse_retry_after(headers)
            )
        mapped = map_transport_error(self.provider, error)
        if mapped is None and isinstance(error, ConnectionError):
            return connection_error(self.provider)
        return mapped
