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

from agentnb.core.events import ToolCall
from agentnb.core.model import Model, ModelError, ModelReply, ModelRequest
from agentnb.core.secrets import model_secrets
from agentnb.core.tools import HANDOFF_PREFIX
from agentnb.models.base import OfflineModel

ScriptItem = str | dict[str, Any] | BaseModel | ModelReply


def call(name: str, *, raw: str | None = None, **args: Any) -> dict[str, Any]:
    """A scripted tool call; ``raw`` sends argument text as-is (for malformed-JSON tests)."""
    return {"tool": name, "raw": raw} if raw is not None else {"tool": name, "args": args}


def handoff(target: str) -> dict[str, Any]:
    """A scripted handoff to ``target``."""
    return {"handoff": target}


ITEM_KEYS = ("text", "tool", "args", "raw", "calls", "handoff", "json")
CALL_KEYS = ("tool", "args", "raw", "handoff")


def item_problem(item: Any) -> str | None:
    """Why ``item`` is not a script item (see the module docstring), or None when it is one."""
    if isinstance(item, str | BaseModel | ModelReply):
        return None
    if not isinstance(item, dict):
        return f"a script item is text or a dict, not {type(item).__name__} ({_short(item)})"
    unknown = [str(k) for k in item if k not in ITEM_KEYS]
    if unknown:
        keys = ", ".join(ITEM_KEYS)
        return f"unknown key {unknown[0]!r} in script item {_short(item)}; the keys are {keys}"
    if not any(k in item for k in ("text", "tool", "calls", "handoff", "json")):
        return f"cannot read script item {_short(item)}; expected text, 'tool', 'calls', 'handoff' or 'json'"
    if not isinstance(item.get("text", ""), str):
        return f"'text' must be a string in script item {_short(item)}"
    calls = item.get("calls", [])
    if not isinstance(calls, list | tuple):
        return f"'calls' must be a list of calls, e.g. [call('search', query='x')], in {_short(item)}"
    own = [item] if "tool" in item or "handoff" in item else []
    return next(filter(None, (_call_problem(c) for c in [*calls, *own])), None)


def _call_problem(spec: Any) -> str | None:
    if not isinstance(spec, dict) or any(k not in CALL_KEYS for k in spec):
        return f"a tool call is call('name', arg=...) or handoff('agent'), not {_short(spec)}"
    if ("tool" in spec) == ("handoff" in spec):
        return f"a tool call names either 'tool' or 'handoff', not {_short(spec)}"
    target = spec.get("tool", spec.get("handoff"))
    if not isinstance(target, str) or not target:
        return f"the tool or handoff target must be a name (a string) in {_short(spec)}"
    if not isinstance(spec.get("args", {}), dict):
        return f"'args' must be a dict of argument values in {_short(spec)}"
    if not isinstance(spec.get("raw", ""), str | None):
        return f"'raw' must be the argument text (a string) in {_short(spec)}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def reply_from_item(item: ScriptItem, request: ModelRequest, where: str, id_prefix: str) -> ModelReply:
    """Turn one script item into a reply, checking that it fits what the request offers.

    ``where`` names the script step in error messages; tool-call ids are ``id_prefix_<i>``.
    """
    problem = item_problem(item)
    if problem is not None:
        raise ModelError(f"{where}: {problem}")
    if isinstance(item, ModelReply):
        return item
    if isinstance(item, str):
        return ModelReply(text=item)
    if isinstance(item, BaseModel):
        item = {"json": item.model_dump(mode="json")}
    assert isinstance(item, dict)  # item_problem rejected everything else
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


def check_scripts(
    scripts: Mapping[str, Sequence[ScriptItem]] | Sequence[ScriptItem],
) -> dict[str, list[ScriptItem]]:
    """``scripts`` as a dict of agent name to replies, every item checked; ValueError says what is wrong."""
    shape = "pass a list of replies (['Hello!']) or a dict of agent name to replies ({'writer': ['Hello!']})"
    if isinstance(scripts, str | bytes):
        raise ValueError(f"scripts: got a string, which would be served one character a reply; {shape}")
    if isinstance(scripts, Mapping):
        named = dict(scripts)
    elif isinstance(scripts, Sequence):
        named = {"*": scripts}
    else:
        raise ValueError(f"scripts: expected a list or a dict, got {type(scripts).__name__}; {shape}")
    checked: dict[str, list[ScriptItem]] = {}
    for agent, items in named.items():
        if not isinstance(agent, str):
            raise ValueError(f"scripts: the keys are agent names (strings), got {agent!r}")
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            wrap = f"; wrap it in a list: {{{agent!r}: [{_short(items)}]}}" if isinstance(items, str) else ""
            raise ValueError(
                f"scripts: the script for {agent!r} must be a list of replies, got "
                f"{type(items).__name__}{wrap}"
            )
        for step, item in enumerate(items, 1):
            problem = item_problem(item)
            if problem is not None:
                raise ValueError(f"scripts: script {agent!r} step {step}: {problem}")
        checked[agent] = list(items)
    return checked


class ScriptedModel(OfflineModel):
    """Serves each agent's scripted replies in order.

    ``scripts`` maps agent names to lists of script items; a plain list serves every agent
    from one shared sequence; the key ``"*"`` serves agents that have no script of their
    own. Scripts are checked when the model is made. An agent with no script, or whose
    script ran out, fails with an error naming the agent and the step, unless ``fallback``
    (another model) takes over; ``loop`` restarts a finished script instead.

    ``stateless=True`` picks each agent's reply from what its request already holds — the
    replies it made before (its assistant messages and the feedback on unusable ones) —
    instead of from a counter, so a rewound, forked or reloaded team goes on with the
    right reply and replaying a path costs nothing. It needs the agent's whole context
    (the default context policy); a shared ``"*"`` script always counts calls.
    """

    def __init__(
        self,
        scripts: Mapping[str, Sequence[ScriptItem]] | Sequence[ScriptItem],
        *,
        loop: bool = False,
        fallback: Model | None = None,
        name: str = "scripted",
        stateless: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.scripts = check_scripts(scripts)
        self.stateless = stateless
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
        try:
            return cls(data, **options)
        except ValueError as exc:
            raise ModelError(f"script file {path}: {exc}") from None

    def secrets(self) -> list[str]:
        """The fallback model's secrets (a script holds none of its own)."""
        return model_secrets(self.fallback)

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
                f"(scripts exist for: {known}); add one (or a '*' script), give that agent "
                "another model (model='auto' for placeholder replies, or a live one), or pass fallback="
            )
        step = replies_made(request) if self.stateless and key != "*" else self.steps.get(key, 0)
        if step >= len(script):
            if self.loop and script:
                step %= len(script)
            else:
                raise ModelError(
                    f"ScriptedModel {self.name!r}: the script for {key!r} has {len(script)} "
                    f"replies and agent {request.agent!r} asked for reply {step + 1}; add "
                    "replies, or pass loop=True or a fallback model"
                )
        self.steps[key] = step + 1
        return reply_from_item(
            script[step], request, f"script {key!r} step {step + 1}", f"call_{key}_{step + 1}"
        )


def replies_made(request: ModelRequest) -> int:
    """How many model calls of this agent its request shows: its replies and feedback on bad ones."""
    return sum(
        1
        for m in request.messages
        if m.get("role") == "assistant"
        or (m.get("role") == "user" and str(m.get("content") or "").startswith("[agentnb] "))
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
