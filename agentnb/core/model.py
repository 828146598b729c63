"""The model protocol, the core's contract with every model: one request in, a stream of
text pieces and one final reply out.

A model is any object with a ``name`` and a ``stream(request)`` async iterator that yields
``str`` text deltas and ends with exactly one `ModelReply`. Messages use the OpenAI chat
format (plain dicts), the one format every server and reader already knows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from agentnb.core.events import ToolCall, Usage

ChatMessage = dict[str, Any]
ToolChoice = Literal["auto", "required", "none"] | str  # or the name of one tool to force


SETTINGS = {
    "temperature": "sampling temperature (0 = always the most likely token)",
    "top_p": "nucleus sampling: keep the most likely tokens up to this probability mass",
    "max_tokens": "the longest reply, in tokens",
    "seed": "a seed for repeatable sampling",
    "repeat_penalty": "penalise tokens already in the text (1.0 = off; local models)",
    "frequency_penalty": "penalise tokens by how often they appeared (OpenAI-style)",
    "presence_penalty": "penalise tokens that appeared at all (OpenAI-style)",
    "stop": "a list of strings that end the reply",
}


def check_settings(settings: Any, what: str = "model_settings") -> dict[str, Any]:
    """Validate an agent's sampling settings: known names, sensible values."""
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise ValueError(f"{what}: expected a dict such as {{'temperature': 0.7}}, got {settings!r}")
    for key, value in settings.items():
        if key not in SETTINGS:
            raise ValueError(f"{what}: unknown setting {key!r}; known: {', '.join(SETTINGS)}")
        if key == "stop":
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"{what}: stop must be a list of strings, got {value!r}")
        elif key in ("max_tokens", "seed"):
            if not isinstance(value, int) or isinstance(value, bool) or (key == "max_tokens" and value < 1):
                raise ValueError(f"{what}: {key} must be a whole number, got {value!r}")
        elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{what}: {key} must be a number >= 0, got {value!r}")
    return dict(settings)


class ModelError(Exception):
    """A model could not produce a reply (network, server, script); the message says why."""


@dataclass(slots=True)
class ModelRequest:
    """Everything a model needs for one call.

    ``messages`` is the agent's context in OpenAI chat format, system prompt first.
    ``tools`` are OpenAI function-tool schemas. ``output_schema`` is a JSON schema the reply
    text must satisfy (``output_name`` names it). ``prompt_tokens`` is agentnb's running
    estimate of the context size, kept incrementally so offline models need not re-count.
    ``settings`` are the agent's sampling settings (`SETTINGS`: temperature, max_tokens,
    ...); each model applies the ones it supports.
    """

    agent: str
    messages: Sequence[ChatMessage]  # a snapshot: it never changes after the request is made
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: ToolChoice = "auto"
    output_schema: dict[str, Any] | None = None
    output_name: str = "output"
    prompt_tokens: int = 0
    settings: dict[str, Any] = field(default_factory=dict)

    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (used by cassettes and caches)."""
        return {
            "agent": self.agent,
            "messages": [dict(m) for m in self.messages],
            "tools": self.tools,
            "tool_choice": self.tool_choice,
            "output_schema": self.output_schema,
            "output_name": self.output_name,
            **({"settings": self.settings} if self.settings else {}),
        }


@dataclass(slots=True)
class ModelReply:
    """A model's complete answer: text, tool calls, or both."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""


@runtime_checkable
class Model(Protocol):
    """What agentnb needs from a model."""

    name: str

    def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        """Yield text deltas as they arrive, then exactly one `ModelReply`."""
        ...


async def complete(model: Model, request: ModelRequest) -> ModelReply:
    """Run a model call to the end and return only its reply (no streaming)."""
    reply: ModelReply | None = None
    async for chunk in model.stream(request):
        if isinstance(chunk, ModelReply):
            reply = chunk
    if reply is None:
        raise ModelError(f"model {model.name!r} ended its stream without a reply")
    return reply


def estimate_tokens(text: str) -> int:
    """Deterministic token estimate (about 4 characters a token); no tokenizer download."""
    return (len(text) + 3) // 4


def message_tokens(message: Mapping[str, Any]) -> int:
    """Estimated tokens of one chat message, tool calls included."""
    content = message.get("content") or ""
    n = 4 + estimate_tokens(content if isinstance(content, str) else json.dumps(content))
    for call in message.get("tool_calls") or ():
        fn = call["function"]
        n += estimate_tokens(fn["name"]) + estimate_tokens(fn["arguments"])
    return n
