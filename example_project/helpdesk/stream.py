"""``GET /api/assistant/stream/?q=...``: the assistant's answer as server-sent events.

An async view, served by an ASGI server (``uvicorn example_project.asgi:application``). It
runs :class:`~example_project.helpdesk.assistant.AgentLoop` with ``client.astream``: each
round's text goes out as it arrives, ``data: {"delta": "..."}``; a round that calls
``list_tickets`` runs the tool (the request's tenant only) and asks again. The last event is
``event: done`` with the provider, the usage and its cost, or ``event: error`` with the
error's code (a policy refusal, a spent budget, a provider outage).

A client that disconnects mid-answer cancels the response: the ``finally`` closes the LLM
stream, which settles the reservation for what was consumed (no hold is left behind).

The request's context (correlation ID, tenant, user) ends when the view returns the response,
before the answer is streamed: it is captured in the view and bound again around each step,
never across a ``yield`` (the generator may be closed from another task, where a context set
here could not be reset).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.http import HttpRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from example_project.helpdesk.assistant import PRICES, AgentLoop, assistant_client
from netrun.core.context import capture, restore
from netrun.errors import AuthenticationError, NetrunException, ValidationError
from netrun.llm import LLMClient, LLMResponse
from netrun.llm.chain import AsyncClientStream
from netrun.llm.pricing import cost_for
from netrun.rbac.decorators import permission_required

__all__ = ["assistant_stream"]

QUESTION_MAX_LENGTH = 2000
_T = TypeVar("_T")


def _event(data: dict[str, Any], event: str | None = None) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(data)}\n\n".encode()


def _done(response: LLMResponse | None) -> dict[str, Any]:
    if response is None:
        return {}
    cost = cost_for(
        response.provider, response.model, response.usage, at=dt.date.today(), table=PRICES
    )
    return {
        "provider": response.provider,
        "model": response.model,
        "usage": {
            "input_tokens": response.usage.input_tokens,
            "output_tokens": response.usage.output_tokens,
            "estimated": response.usage.estimated,
        },
        "cost_usd": None if cost is None else str(cost),
    }


class _Steps:
    """Runs each step of the answer in the request's context."""

    def __init__(self, carried: dict[str, str]) -> None:
        self.carried = carried

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        def bound() -> _T:
            with restore(self.carried):
                return function(*args)

        return await sync_to_async(bound)()

    async def next_chunk(self, stream: AsyncClientStream) -> str | None:
        with restore(self.carried):
            try:
                chunk = await stream.__anext__()
            except StopAsyncIteration:
                return None
        return chunk.text

    async def close(self, stream: AsyncClientStream) -> None:
        with restore(self.carried):
            await stream.aclose()


async def _answer(steps: _Steps, question: str) -> AsyncIterator[bytes]:
    response: LLMResponse | None = None
    try:
        client: LLMClient = await steps.run(assistant_client)
        loop = AgentLoop(question)
        while True:
            stream = client.astream(loop.messages, **loop.options())
            try:
                while (text := await steps.next_chunk(stream)) is not None:
                    if text:
                        yield _event({"delta": text})
            finally:
                # Also on a disconnect (CancelledError here, or GeneratorExit at the yield):
                # the reservation is settled for what was consumed.
                await steps.close(stream)
            response = stream.response
            if response is None or not await steps.run(loop.absorb, response):
                break
    except NetrunException as error:
        yield _event({"code": error.error_code, "message": str(error)}, event="error")
        return
    yield _event(_done(response), event="done")


_View = Callable[[HttpRequest], Awaitable[StreamingHttpResponse]]


def _authenticated(view: _View) -> _View:
    # First, as the DRF views' IsAuthenticated: an anonymous caller gets 401 (log in), not
    # the 400 of a request that names no tenant.
    @functools.wraps(view)
    async def wrapper(request: HttpRequest) -> StreamingHttpResponse:
        # request.user: the JWT middleware's user, else the session's (a lazy database read).
        if not await sync_to_async(lambda: request.user.is_authenticated)():
            raise AuthenticationError("Authentication credentials were not provided.")
        return await view(request)

    return wrapper


@require_GET
@_authenticated
@permission_required("helpdesk.view_ticket")
async def assistant_stream(request: HttpRequest) -> StreamingHttpResponse:
    """The assistant's answer to ``?q=`` for the request's tenant, as ``text/event-stream``."""
    question = request.GET.get("q", "").strip()
    if not question or len(question) > QUESTION_MAX_LENGTH:
        raise ValidationError(
            details={"fields": {"q": [f"A question of 1 to {QUESTION_MAX_LENGTH} characters."]}}
        )
    return StreamingHttpResponse(
        _answer(_Steps(capture()), question),
        content_type="text/event-stream",
        # Proxies must pass each event on at once, not buffer the answer.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
