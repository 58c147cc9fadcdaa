"""Ollama (a local model server) through its HTTP API, ``POST /api/chat``, with ``httpx``.

Answers are free (local), so this is the chain's "local model" that budget refusals fall
back to. Streams are newline-delimited JSON; the last line has ``done: true`` and the token
counts (``prompt_eval_count``, ``eval_count``). Ollama has no prompt cache and no request id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from netrun.errors import BadGatewayError, NetrunException
from netrun.llm.adapters._call import ProviderCall, config_limits
from netrun.llm.adapters._flow import Flow, emit_texts, lines, read, wait
from netrun.llm.adapters._formats import ollama_messages
from netrun.llm.adapters._stream import StreamState
from netrun.llm.adapters.errors import error_for_status, map_transport_error, parse_retry_after
from netrun.llm.adapters.sdk import HostedAdapter
from netrun.llm.tools import ToolCall
from netrun.llm.types import ChatMessage, EmbeddingResponse, LLMResponse, Usage

if TYPE_CHECKING:
    import httpx
    from pydantic import SecretStr

    from netrun.llm.adapters._adapter import BaseLLMAdapter
    from netrun.llm.conf import LLMConfig

__all__ = ["DEFAULT_BASE_URL", "OllamaAdapter"]

DEFAULT_BASE_URL = "http://127.0.0.1:11434"
DEFAULT_MODEL = "llama3.2"
DEFAULT_EMBEDDING_MODEL = "nomic-embed-text"


class OllamaAdapter(HostedAdapter):
    """A model served by Ollama; ``api_key`` is only for a proxy that wants a bearer token."""

    provider: ClassVar[str] = "ollama"
    sdk_module: ClassVar[str | None] = "httpx"
    sdk_extra: ClassVar[str | None] = "llm"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | SecretStr | None = None,
        max_tokens: int = 1024,
        timeout: float = 60.0,
        embedding_model: str | None = DEFAULT_EMBEDDING_MODEL,
    ) -> None:
        super().__init__(
            api_key=api_key,
            model=model,
            base_url=base_url.rstrip("/"),
            max_tokens=max_tokens,
            timeout=timeout,
        )
        self.embedding_model = embedding_model

    @classmethod
    def from_config(cls, name: str, config: LLMConfig) -> BaseLLMAdapter:
        return cls(
            base_url=config.ollama_base_url, model=config.ollama_model, **config_limits(config)
        )

    def _client_kwargs(self) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return {"base_url": self.base_url, "timeout": self.timeout, "headers": headers}

    def _client_classes(self) -> tuple[type[httpx.Client], type[httpx.AsyncClient]]:
        import httpx

        return httpx.Client, httpx.AsyncClient

    # -------------------------------------------------------------- requests

    @staticmethod
    def _request(call: ProviderCall, *, stream: bool) -> dict[str, Any]:
        # Ollama takes sampling settings (temperature...) inside "options".
        request: dict[str, Any] = {
            "model": call.model,
            "messages": ollama_messages(call.messages),
            "stream": stream,
            "options": {"num_predict": call.max_tokens, **call.options},
        }
        if call.tools:  # Ollama takes OpenAI's definitions; it has no tool_choice
            request["tools"] = [spec.openai() for spec in call.tools]
        if call.response_schema is not None:  # Ollama constrains the output to the schema
            request["format"] = dict(call.response_schema.schema)
        return request

    @staticmethod
    def _calls(message: Mapping[str, Any], first: int = 0) -> tuple[ToolCall, ...]:
        # Ollama's calls carry no id: number them, so a result can answer one.
        calls = message.get("tool_calls") or []
        return tuple(
            ToolCall.of(f"call_{first + n}", str(fn.get("name", "")), fn.get("arguments") or {})
            for n, fn in enumerate(call.get("function") or {} for call in calls)
        )

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise error_for_status(
                self.provider,
                response.status_code,
                retry_after=parse_retry_after(response.headers),
            )

    @staticmethod
    def _usage(data: Mapping[str, Any]) -> Usage:
        return Usage(
            input_tokens=int(data.get("prompt_eval_count") or 0),
            output_tokens=int(data.get("eval_count") or 0),
        )

    def _response(self, data: Mapping[str, Any], model: str) -> LLMResponse:
        message = data.get("message") or {}
        return LLMResponse(
            text=str(message.get("content") or ""),
            provider=self.provider,
            model=str(data.get("model") or model),
            usage=self._usage(data),
            finish_reason=data.get("done_reason") or ("stop" if data.get("done") else None),
            tool_calls=self._calls(message),
        )

    def _post(
        self, path: str, body: Mapping[str, Any], *, asynchronous: bool
    ) -> Flow[dict[str, Any]]:
        response = yield wait(self._client_for(asynchronous).post(path, json=body))
        self._check(response)
        return self._json(response.content)

    def _reply(self, call: ProviderCall, *, asynchronous: bool) -> Flow[LLMResponse]:
        request = self._request(call, stream=False)
        data = yield from self._post("/api/chat", request, asynchronous=asynchronous)
        return self._response(data, call.model)

    def _embeddings(self, data: Mapping[str, Any], model: str) -> EmbeddingResponse:
        vectors = data.get("embeddings")
        if not isinstance(vectors, list):
            raise BadGatewayError(
                f"The LLM provider {self.provider!r} sent no embeddings.",
                {"provider": self.provider},
            )
        return EmbeddingResponse(
            text="",
            provider=self.provider,
            model=str(data.get("model") or model),
            usage=Usage(input_tokens=int(data.get("prompt_eval_count") or 0)),
            embeddings=tuple(tuple(float(x) for x in vector) for vector in vectors),
        )

    def _embedding(
        self, texts: Sequence[ChatMessage], model: str, *, asynchronous: bool
    ) -> Flow[EmbeddingResponse]:
        body = {"model": model, "input": [text.content for text in texts]}
        data = yield from self._post("/api/embed", body, asynchronous=asynchronous)
        return self._embeddings(data, model)

    def _json(self, line: bytes | str) -> dict[str, Any]:
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BadGatewayError(
                f"The LLM provider {self.provider!r} sent a malformed answer.",
                {"provider": self.provider},
            )
        if "error" in data:
            # Ollama reports failures inside a 200 stream as {"error": "..."}; the text can
            # quote the request, so it stays out of the error.
            raise BadGatewayError(
                f"The LLM provider {self.provider!r} sent an error.", {"provider": self.provider}
            )
        return data

    def _read_line(self, line: str, state: StreamState) -> str:
        if not line.strip():
            return ""
        data = self._json(line)
        if data.get("model"):
            state.model = str(data["model"])
        if data.get("done"):
            state.usage = self._usage(data)
            state.usage_final = True
            state.finish_reason = str(data.get("done_reason") or "stop")
        message = data.get("message") or {}
        if message.get("tool_calls"):  # whole calls, each in a line of its own
            known = len(state.tool_calls.calls())
            for offset, call in enumerate(self._calls(message, known)):
                state.tool_calls.start(known + offset, call.id, call.name)
                state.tool_calls.add(known + offset, call.arguments_json())
        return str(message.get("content") or "")

    def _deltas(self, call: ProviderCall, state: StreamState, *, asynchronous: bool) -> Flow[None]:
        client = self._client_for(asynchronous)
        request = client.build_request("POST", "/api/chat", json=self._request(call, stream=True))
        response = yield wait(client.send(request, stream=True))
        if response.status_code >= 400:
            yield read(response)  # reading the whole body closes the response
            self._check(response)
        events = yield lines(response)
        yield from emit_texts(events, partial(self._read_line, state=state), response)

    def map_error(self, error: Exception) -> NetrunException | None:
        return map_transport_error(self.provider, error)
