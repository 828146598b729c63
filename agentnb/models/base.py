"""Shared behaviour of the offline models: word-sized streaming, usage, latency, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

from agentnb.core.events import Usage
from agentnb.core.model import ModelReply, ModelRequest, estimate_tokens


def split_for_streaming(text: str) -> list[str]:
    """Split text into word-sized deltas (each keeps its trailing space)."""
    pieces: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == " " and i + 1 < len(text) and text[i + 1] != " ":
            pieces.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


class OfflineModel:
    """Shared behaviour of the deterministic models: streaming, usage, latency, faults.

    ``latency`` seconds are awaited before each reply and ``token_latency`` between text
    deltas. ``faults`` maps a call number (0-based, counted per model) to an exception that
    call raises instead of replying, so tests and benchmarks can exercise failure paths.
    """

    name = "offline"

    def __init__(
        self,
        *,
        latency: float = 0.0,
        token_latency: float = 0.0,
        faults: Mapping[int, BaseException] | None = None,
        stream_tokens: bool = True,
    ) -> None:
        self.latency = latency
        self.token_latency = token_latency
        self.faults = dict(faults or {})
        self.stream_tokens = stream_tokens
        self.calls = 0

    async def reply(self, request: ModelRequest) -> ModelReply:
        """Decide the reply; subclasses implement this."""
        raise NotImplementedError

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        call = self.calls
        self.calls += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self.faults.get(call)
        if fault is not None:
            raise fault
        reply = await self.reply(request)
        if self.stream_tokens and reply.text:
            for piece in split_for_streaming(reply.text):
                if self.token_latency:
                    await asyncio.sleep(self.token_latency)
                yield piece
        if not reply.usage.total_tokens:
            completion = estimate_tokens(reply.text) + sum(
                estimate_tokens(c.name) + estimate_tokens(c.arguments) for c in reply.tool_calls
            )
            reply.usage = Usage(prompt_tokens=request.prompt_tokens, completion_tokens=completion)
        reply.model = reply.model or self.name
        yield reply
