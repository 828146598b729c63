"""Deterministic models for lessons, tests and demos: scripted replies and a function.

A script item is one reply, written as:

- ``"text"``: a text reply;
- ``{"tool": "name", "args": {...}}`` (or ``call("name", ...)``): a tool call;
  ``{"tool": "name", "raw": "{not json"}`` sends raw argument text, malformed on purpose;
- ``{"calls": [call(...), call(...)]}``: several tool calls in one reply (run concurrently);
- ``{"handoff": "editor"}`` (or ``handoff("editor")``): a ``transfer_to_editor`` call;
- ``{"json": {...}}`` (or a pydantic object): structured output, sent as JSON text;
- ``{"text": "...", "calls": [...]}``: text and calls together.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentnb.messages import ToolCall
from agentnb.models.base import Model, ModelError, ModelReply, ModelRequest, OfflineModel

ScriptItem = str | dict[str, Any] | BaseModel | ModelReply

HANDOFF_PREFIX = "transfer_to_"


def call(name: str, *, raw: str | None = None, **args: Any) -> dict[str, Any]:
    """A scripted tool call; ``raw`` sends argument text as-is (for malformed-JSON tests)."""
    return {"tool": name, "raw": raw} if raw is not None else {"tool": name, "args": args}


def handoff(target: str) -> dict[str, Any]:
    """A scripted handoff to ``target``."""
    return {"handoff": target}


def reply_from_item(item: ScriptItem, request: ModelRequest, where: str, id_prefix: str) -> ModelReply:
    """Turn one script item into a reply, checking that it fits what the request offers.

    ``where`` names the script step in error messages; tool-call ids are ``id_prefix_<i>``.
    """
    if isinstance(item, ModelReply):
        return item
    if isinstance(item, str):
        return ModelReply(text=item)
    if isinstance(item, BaseModel):
        item = {"json": item.model_dump(mode="json")}
    if not isinstance(item, dict):
        raise ModelError(f"{where}: a script item must be str or dict, got {type(item).__name__}")
    if "json" in item:
        if request.output_schema is None:
            raise ModelError(
                f"{where}: the script gives structured output, but agent {request.agent!r} "
                "asked for none (give the agent an output_type, or script plain text)"
            )
        return ModelReply(text=json.dumps(item["json"]))
    specs: list[dict[str, Any]] = list(item.get("calls", []))
    if "tool" in item or "handoff" in item:
        specs.append(item)
    if not specs and "text" not in item:
        raise ModelError(
            f"{where}: cannot read script item {item!r}; expected text, 'tool', 'calls', 'handoff' or 'json'"
        )
    offered = request.tool_names()
    calls = []
    for i, spec in enumerate(specs):
        name = HANDOFF_PREFIX + spec["handoff"] if "handoff" in spec else spec["tool"]
        if name not in offered:
            raise ModelError(
                f"{where}: the script calls {name!r}, but agent {request.agent!r} is offered "
                f"{', '.join(offered) or 'no tools'} in this request"
            )
        raw = spec.get("raw")
        arguments = raw if raw is not None else json.dumps(spec.get("args", {}))
        calls.append(ToolCall(id=f"{id_prefix}_{i}", name=name, arguments=arguments))
    return ModelReply(text=item.get("text", ""), tool_calls=calls)


class ScriptedModel(OfflineModel):
    """Serves each agent's scripted replies in order.

    ``scripts`` maps agent names to lists of script items; a plain list serves every agent
    from one shared sequence; the key ``"*"`` serves agents that have no script of their
    own. When a script runs out the call fails with an error naming the agent and the step,
    unless ``loop`` restarts it or ``fallback`` (another model) takes over.
    """

    def __init__(
        self,
        scripts: Mapping[str, Sequence[ScriptItem]] | Sequence[ScriptItem],
        *,
        loop: bool = False,
        fallback: Model | None = None,
        name: str = "scripted",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if isinstance(scripts, Mapping):
            self.scripts = {agent: list(items) for agent, items in scripts.items()}
        else:
            self.scripts = {"*": list(scripts)}
        self.loop = loop
        self.fallback = fallback
        self.name = name
        self.steps: dict[str, int] = {}

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> ScriptedModel:
        """Load scripts from a JSON file: ``{"agent": [item, ...], ...}`` or a list."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read script file {path}: {exc}") from exc
        options.setdefault("name", f"scripted:{path.name}")
        return cls(data, **options)

    def reset(self) -> None:
        """Start every script from its first reply again."""
        self.steps.clear()
        self.calls = 0

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        key = request.agent if request.agent in self.scripts else "*"
        if key not in self.scripts and self.fallback is not None:
            async for chunk in self.fallback.stream(request):
                yield chunk
            return
        async for chunk in super().stream(request):
            yield chunk

    async def reply(self, request: ModelRequest) -> ModelReply:
        key = request.agent if request.agent in self.scripts else "*"
        script = self.scripts.get(key)
        if script is None:
            known = ", ".join(sorted(self.scripts))
            raise ModelError(
                f"ScriptedModel {self.name!r} has no script for agent {request.agent!r} "
                f"(scripts exist for: {known}); add one, or a '*' script, or a fallback model"
            )
        step = self.steps.get(key, 0)
        if step >= len(script):
            if not self.loop or not script:
                raise ModelError(
                    f"ScriptedModel {self.name!r}: the script for {key!r} has {len(script)} "
                    f"replies and agent {request.agent!r} asked for reply {step + 1}; add "
                    "replies, or pass loop=True or a fallback model"
                )
            step = 0
        self.steps[key] = step + 1
        return reply_from_item(
            script[step], request, f"script {key!r} step {step + 1}", f"call_{key}_{step + 1}"
        )


ReplyFunction = Callable[[ModelRequest], "ScriptItem | Awaitable[ScriptItem]"]


class FunctionModel(OfflineModel):
    """A Python function decides each reply: ``fn(request) -> script item`` (sync or async)."""

    def __init__(self, fn: ReplyFunction, *, name: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.fn = fn
        self.name = name or f"function:{getattr(fn, '__name__', 'fn')}"

    async def reply(self, request: ModelRequest) -> ModelReply:
        item = self.fn(request)
        if inspect.isawaitable(item):
            item = await item
        return reply_from_item(item, request, f"{self.name} call {self.calls}", f"call_{self.calls}")
