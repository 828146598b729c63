"""Assembling an OpenAI-compatible server's answer: stream chunks (or one completion) in, a reply out.

Text deltas pass through as they arrive; tool calls come in pieces keyed by index and are
joined at the end. Usage is the server's when it sends any, else agentnb's estimate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from agentnb.core.events import ToolCall, Usage
from agentnb.core.model import ModelReply, ModelRequest, estimate_tokens, message_tokens


class StreamCut(Exception):
    """The response stream ended before the server said it had finished."""


@dataclass(slots=True)
class PartialCall:
    """One tool call while its deltas arrive."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Assembly:
    """A reply put together from stream chunks (or from one non-streamed completion)."""

    text: list[str] = field(default_factory=list)
    calls: dict[int, PartialCall] = field(default_factory=dict)
    finish: str | None = None
    usage: Usage | None = None
    model: str = ""
    yielded: bool = False

    def absorb(self, chunk: Any) -> str:
        """Take one chunk in; return its text delta ("" when it has none)."""
        if chunk.usage is not None:
            self.usage = usage_from(chunk.usage)
        if chunk.model:
            self.model = chunk.model
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        if choice.finish_reason:
            self.finish = choice.finish_reason
        delta = choice.delta
        if delta is None:
            return ""
        for part in delta.tool_calls or ():
            self._add_call(part)
        if delta.content:
            self.text.append(delta.content)
            return delta.content
        return ""

    def absorb_completion(self, completion: Any) -> str | None:
        """Take a whole completion in; return its text, or None when it has no choices."""
        if completion.usage is not None:
            self.usage = usage_from(completion.usage)
        self.model = completion.model or ""
        if not completion.choices:
            return None
        choice = completion.choices[0]
        self.finish = choice.finish_reason
        message = choice.message
        for i, call in enumerate(message.tool_calls or ()):
            self.calls[i] = PartialCall(call.id, call.function.name, [call.function.arguments or ""])
        if message.content:
            self.text.append(message.content)
        return message.content or ""

    def _add_call(self, part: Any) -> None:
        index = part.index if part.index is not None else len(self.calls)
        call = self.calls.setdefault(index, PartialCall())
        call.id = call.id or (part.id or "")
        fn = part.function
        if fn is None:
            return
        if fn.name and fn.name != call.name:  # some servers repeat the whole name in every chunk
            call.name += fn.name
        if fn.arguments:
            call.arguments.append(fn.arguments)

    def reply(self, request: ModelRequest, fallback_model: str) -> ModelReply:
        """The finished reply; ``fallback_model`` names the model when the server did not."""
        text = "".join(self.text)
        calls = [
            ToolCall(
                id=c.id or f"call_{uuid.uuid4().hex[:12]}",
                name=c.name,
                arguments="".join(c.arguments) or "{}",
            )
            for _, c in sorted(self.calls.items())
        ]
        usage = self.usage or Usage(
            prompt_tokens=request.prompt_tokens or sum(message_tokens(m) for m in request.messages),
            completion_tokens=estimate_tokens(text)
            + sum(estimate_tokens(c.name) + estimate_tokens(c.arguments) for c in calls),
        )
        return ModelReply(text=text, tool_calls=calls, usage=usage, model=self.model or fallback_model)


def usage_from(raw: Any) -> Usage:
    """agentnb's usage from the server's usage object (missing counts are 0)."""
    return Usage(prompt_tokens=raw.prompt_tokens or 0, completion_tokens=raw.completion_tokens or 0)
