"""Agent: a role (system prompt), a model and tools; one turn turns the chat into events.

An agent's model context is derived from the team transcript, incrementally: each turn it
converts only the events it has not seen yet, so a long chat costs the same per message
as a short one. Nothing else about the conversation lives in the agent.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from agentnb.errors import StructuredOutputError
from agentnb.messages import (
    Approval,
    ErrorEvent,
    Event,
    Handoff,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
)
from agentnb.models.base import ChatMessage, Model, ModelReply, ModelRequest, message_tokens
from agentnb.stop import USER
from agentnb.tools import Tool, as_tool, describe_call

if TYPE_CHECKING:
    from agentnb.team import TeamResult

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
Approver = Callable[[str, ToolCall], Awaitable[tuple[bool, str]]]


def check_name(name: Any, what: str = "name") -> str:
    """Participant names become tool names and chat names, so they must be identifiers."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(
            f"{what}: {name!r} is not allowed; use letters, digits, '_' or '-' "
            "(starting with a letter or '_', at most 64 characters)"
        )
    if name == USER:
        raise ValueError(f"{what}: 'user' is reserved for the task's sender; choose another name")
    return name


@dataclass
class TurnContext:
    """What a team gives a participant for one turn."""

    model: Model | None = None
    extra_tools: Sequence[Tool] = ()
    approver: Approver | None = None
    approver_name: str = "human"
    stream_tokens: bool = True


def strip_code_fence(text: str) -> str:
    """Models often wrap JSON in a markdown fence; structured output accepts that."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else text[3:]
        text = text.rsplit("```", 1)[0]
    return text.strip()


@dataclass
class _Context:
    """The agent's model-facing chat, built incrementally from a transcript."""

    messages: list[ChatMessage]
    tokens: int
    thread: list[Event] | None = None
    seen: int = 0
    pending_calls: set[str] = field(default_factory=set)
    held: list[ChatMessage] = field(default_factory=list)


class Agent:
    """A participant backed by a model.

    ``role`` is the system prompt; ``description`` (first line of the role by default) is
    what other participants and the selector read. ``model`` is a `Model` or a spec string;
    ``None`` uses the team's model. ``output_type`` makes every reply a validated pydantic
    object. A turn may call tools up to ``max_tool_iterations`` rounds before it must answer.
    """

    def __init__(
        self,
        name: str,
        role: str = "",
        *,
        description: str | None = None,
        model: Model | str | None = None,
        tools: Sequence[Tool | Callable[..., Any]] = (),
        output_type: type[BaseModel] | None = None,
        handoffs: Sequence[str] | None = None,
        max_tool_iterations: int = 5,
        max_failures: int = 3,
    ) -> None:
        self.name = check_name(name)
        self.role = role or f"You are {name}."
        self.description = description or self.role.strip().splitlines()[0]
        self.model = model
        self.tools = [as_tool(t) for t in tools]
        names = [t.name for t in self.tools]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"tools: agent {name!r} has two tools named {duplicates[0]!r}")
        if output_type is not None and not (
            isinstance(output_type, type) and issubclass(output_type, BaseModel)
        ):
            raise ValueError(f"output_type: expected a pydantic BaseModel class, got {output_type!r}")
        self.output_type = output_type
        self.handoffs = list(handoffs) if handoffs is not None else None
        for label, value, low in (
            ("max_tool_iterations", max_tool_iterations, 0),
            ("max_failures", max_failures, 1),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{label}: expected an integer >= {low}, got {value!r}")
        self.max_tool_iterations = max_tool_iterations
        self.max_failures = max_failures
        self._solo: Any = None
        self.reset()

    def __repr__(self) -> str:
        return f"Agent({self.name!r})"

    def reset(self) -> None:
        """Forget the derived context; it is rebuilt from the transcript on the next turn."""
        system = {"role": "system", "content": self.role}
        self._ctx = _Context(messages=[system], tokens=message_tokens(system))

    # ----- context -------------------------------------------------------------------------

    def context(self, thread: list[Event]) -> list[ChatMessage]:
        """The chat this agent's model sees for ``thread`` (kept up to date incrementally)."""
        ctx = self._ctx
        if ctx.thread is not thread or len(thread) < ctx.seen:
            self.reset()
            ctx = self._ctx
            ctx.thread = thread
        for event in thread[ctx.seen :]:
            self._absorb(event)
        ctx.seen = len(thread)
        return ctx.messages

    def _absorb(self, event: Event) -> None:
        ctx = self._ctx
        mine = event.source == self.name
        message: ChatMessage | None = None
        if isinstance(event, TextMessage):
            if mine:
                message = {"role": "assistant", "content": event.content}
            elif event.source == USER:
                message = {"role": "user", "content": event.content}
            else:
                message = {"role": "user", "name": event.source, "content": event.content}
        elif mine and isinstance(event, ToolCalls):
            message = {
                "role": "assistant",
                "content": event.content or None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in event.calls
                ],
            }
            ctx.pending_calls.update(c.id for c in event.calls)
            self._append(message)
            return
        elif mine and isinstance(event, ToolResult):
            ctx.pending_calls.discard(event.call_id)
            self._append({"role": "tool", "tool_call_id": event.call_id, "content": event.content})
            if not ctx.pending_calls and ctx.held:
                for held in ctx.held:
                    self._append(held)
                ctx.held.clear()
            return
        elif mine and isinstance(event, ErrorEvent):
            message = {"role": "user", "content": f"[agentnb] {event.content}"}
        elif isinstance(event, Handoff) and not mine:
            message = {
                "role": "user",
                "name": event.source,
                "content": f"[{event.source} handed the conversation to {event.target}]",
            }
        if message is not None:
            if ctx.pending_calls:  # a tool call must be followed by its results first
                ctx.held.append(message)
            else:
                self._append(message)

    def _append(self, message: ChatMessage) -> None:
        self._ctx.messages.append(message)
        self._ctx.tokens += message_tokens(message)

    # ----- one turn ------------------------------------------------------------------------

    async def turn(self, thread: list[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        """Call the model (and tools) until the agent replies; yield every event on the way.

        The caller appends each yielded event (other than token deltas) to ``thread`` before
        resuming the turn, so the next model call sees it.
        """
        model = ctx.model
        if model is None and self.model is not None and not isinstance(self.model, str):
            model = self.model
        if model is None:
            raise ValueError(f"agent {self.name!r} has no model; give it one or run it in a team")
        tools = [*self.tools, *ctx.extra_tools]
        by_name = {t.name: t for t in tools}
        schemas = [t.schema for t in tools]
        output_schema = self.output_type.model_json_schema() if self.output_type else None
        output_name = self.output_type.__name__ if self.output_type else "output"
        name = self.name
        failures = 0
        structured_retry_used = False
        iteration = 0
        while True:
            offer = iteration < self.max_tool_iterations
            request = ModelRequest(
                agent=name,
                messages=self.context(thread),
                tools=schemas if offer else [],
                tool_choice="auto" if offer and schemas else "none",
                output_schema=output_schema,
                output_name=output_name,
                prompt_tokens=self._ctx.tokens,
            )
            reply: ModelReply | None = None
            async for chunk in model.stream(request):
                if chunk.__class__ is str:
                    if ctx.stream_tokens:
                        yield TokenDelta(source=name, text=chunk)
                else:
                    reply = chunk  # type: ignore[assignment]
            if reply is None:
                raise RuntimeError(f"model {model.name!r} ended its stream without a reply")

            if reply.tool_calls:
                iteration += 1
                yield ToolCalls(
                    source=name,
                    calls=reply.tool_calls,
                    content=reply.text,
                    usage=reply.usage,
                    model=reply.model,
                )
                results = await self._run_calls(reply.tool_calls, by_name, ctx)
                for result in results:
                    yield result
                outcomes = [r for r in results if isinstance(r, ToolResult)]
                succeeded = {r.call_id for r in outcomes if not r.is_error}
                target = next(
                    (
                        by_name[c.name].handoff_target
                        for c in reply.tool_calls
                        if c.id in succeeded and c.name in by_name and by_name[c.name].handoff_target
                    ),
                    None,
                )
                if target is not None:
                    yield Handoff(source=name, target=target)
                    return
                if all(r.is_error for r in outcomes):
                    failures += 1
                    if failures >= self.max_failures:
                        yield Stop(
                            source=name,
                            reason=f"{name}: {failures} tool-call rounds in a row failed "
                            f"(last: {outcomes[-1].content[:200]})",
                        )
                        return
                else:
                    failures = 0
                continue

            text = reply.text
            if not text.strip():
                failures += 1
                if failures >= self.max_failures:
                    yield Stop(
                        source=name, reason=f"{name}: the model sent {failures} empty replies in a row"
                    )
                    return
                hint = f" or call one of: {', '.join(by_name)}" if by_name and offer else ""
                yield ErrorEvent(source=name, content=f"Your reply was empty. Reply with text{hint}.")
                continue

            data = None
            if self.output_type is not None:
                try:
                    parsed = self.output_type.model_validate_json(strip_code_fence(text))
                except ValidationError as exc:
                    problems = "; ".join(
                        f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}"
                        for e in exc.errors(include_url=False)
                    )
                    if structured_retry_used:
                        raise StructuredOutputError(name, output_name, problems, text) from None
                    structured_retry_used = True
                    yield ErrorEvent(
                        source=name,
                        content=f"Your reply is not a valid {output_name}: {problems}. Your reply was: "
                        f"{text[:500]!r}. Reply again with only a JSON object matching this schema: "
                        f"{json.dumps(output_schema)}",
                    )
                    continue
                data = parsed.model_dump(mode="json")
            yield TextMessage(source=name, content=text, data=data, usage=reply.usage, model=reply.model)
            return

    async def _run_calls(
        self, calls: list[ToolCall], by_name: dict[str, Tool], ctx: TurnContext
    ) -> list[Event]:
        """Run one reply's tool calls concurrently; results come back in call order."""
        if len(calls) == 1:
            return await self._run_call(calls[0], by_name, ctx)
        groups = await asyncio.gather(*(self._run_call(c, by_name, ctx) for c in calls))
        return [event for group in groups for event in group]

    async def _run_call(self, call: ToolCall, by_name: dict[str, Tool], ctx: TurnContext) -> list[Event]:
        tool = by_name.get(call.name)
        if tool is None:
            available = ", ".join(by_name) or "none"
            return [
                ToolResult(
                    source=self.name,
                    call_id=call.id,
                    name=call.name,
                    is_error=True,
                    content=f"Error: unknown tool {call.name!r}. Available tools: {available}.",
                )
            ]
        events: list[Event] = []
        if tool.requires_approval:
            if ctx.approver is None:
                return [
                    ToolResult(
                        source=self.name,
                        call_id=call.id,
                        name=call.name,
                        is_error=True,
                        content=f"Error: {call.name!r} needs a human's approval and nobody can give it.",
                    )
                ]
            approved, comment = await ctx.approver(self.name, call)
            events.append(
                Approval(
                    source=ctx.approver_name,
                    call_id=call.id,
                    tool=call.name,
                    approved=approved,
                    comment=comment,
                )
            )
            if not approved:
                note = f" They said: {comment}" if comment else ""
                events.append(
                    ToolResult(
                        source=self.name,
                        call_id=call.id,
                        name=call.name,
                        is_error=True,
                        content=f"The human rejected the call {describe_call(call)}.{note}",
                    )
                )
                return events
        outcome = await tool.run(call.arguments)
        events.append(
            ToolResult(
                source=self.name,
                call_id=call.id,
                name=call.name,
                content=outcome.content,
                is_error=outcome.is_error,
                duration=outcome.duration,
            )
        )
        return events

    # ----- standalone use ------------------------------------------------------------------

    def run(self, task: str) -> Awaitable[TeamResult]:
        """Ask this agent alone (one turn); the conversation continues across calls."""
        return self._team().run(task)

    def run_sync(self, task: str) -> TeamResult:
        """`run` for code without an event loop, or inside Jupyter's."""
        return self._team().run_sync(task)

    def _team(self) -> Any:
        if self._solo is None:
            from agentnb.team import Team

            self._solo = Team([self], name=f"{self.name}_solo", max_turns=1)
        return self._solo
