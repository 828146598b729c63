"""One agent turn as a small state machine: build the request → stream → classify → handle.

`agent_turn` drives it and yields every event; `AgentTurn` holds the turn's progress and
has one handler per kind of reply (tool calls, empty, text, structured). A turn that a
checkpoint cut off between a tool call and its result goes on by running that call:
it never sends a model a call without its result. A call that waits for a person's
approval ends the turn with a waiting `Stop`; the turn resumed once they decided runs it
(or gives it the rejection) with the decision recorded in the transcript.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agentnb.core.calls import Approver, CallRunner, awaiting_approval
from agentnb.core.context import AgentContext, MessagesView
from agentnb.core.errors import StructuredOutputError
from agentnb.core.events import (
    Approval,
    ApprovalRequested,
    ErrorEvent,
    Event,
    Handoff,
    SpeakerSelected,
    Stop,
    TextMessage,
    ToolCall,
    ToolCalls,
    ToolProgress,
    ToolResult,
    Usage,
)
from agentnb.core.lifecycle import YIELD_EVERY, Pace
from agentnb.core.makers import reply_message, token_delta
from agentnb.core.model import Model, ModelError, ModelReply, ModelRequest
from agentnb.core.policies import Full
from agentnb.core.structured import readable, validate_reply
from agentnb.core.words import plural


@dataclass
class TurnContext:
    """What a team gives a participant for one turn.

    ``memo`` is the participant's derived context in this team; ``output_type`` overrides
    the agent's own for this turn (a plan step with an expected output); ``step`` tags
    the turn's events with the plan step they belong to; ``resume`` says the turn was cut
    off at a checkpoint and goes on from what ``thread`` holds of it. With ``keep`` (the
    executor's, for a participant's plain turns in one run) an agent serves all its turns from
    one ``stream``: it pauses after the reply (or handoff) that ends a turn and starts the next
    when read on, so no stream is made, hooked into the event loop and closed per turn.
    """

    model: Model | None = None
    extra_tools: Sequence[Any] = ()
    approver: Approver | None = None
    approver_name: str = "human"
    stream_tokens: bool = True
    memo: AgentContext | None = None
    output_type: Any = None
    step: str = ""
    pace: Pace | None = None  # the run's (shared by its turns); None: a pace of this turn's own
    resume: bool = False
    fallback: Callable[[], Model] | None = (
        None  # the outer team's model, for a nested team (resolved if used)
    )
    turn: AgentTurn | None = None  # kept between an agent's turns in this context (see `agent_turn`)
    keep: bool = False  # the caller reads each turn up to its reply and reads on for the next one
    stream: AsyncIterator[Event] | None = None  # the agent's stream of its turns, when ``keep``


class AgentTurn:
    """One agent's turn: what it offers the model (tools, the reply's schema) and how far it has
    got (tool rounds used, failures in a row, the structured retry). `begin` starts a turn; an
    agent whose tools are fixed keeps the object from turn to turn of a team's run."""

    __slots__ = (
        "_runner", "agent", "by_name", "ctx", "done", "failures", "memo", "model", "name", "note",
        "output_name", "output_schema", "output_type", "retried", "rounds", "schemas", "thread", "tools",
    )  # fmt: skip

    def __init__(self, agent: Any, ctx: TurnContext, model: Model, tools: Sequence[Any] = ()) -> None:
        self.agent, self.ctx, self.model, self.tools = agent, ctx, model, tools
        self.name = agent.name
        self.memo = ctx.memo if ctx.memo is not None else agent.new_context()
        if tools:
            self.by_name = {t.name: t for t in tools}
            self.schemas = [t.schema for t in tools]
        else:
            self.by_name, self.schemas = {}, []
        output_type = ctx.output_type or agent.output_type
        self.output_type = output_type
        if output_type is None:
            self.output_schema, self.output_name = None, "output"
        else:
            self.output_schema, self.output_name = schema_of(output_type), output_type.__name__

    def begin(self, thread: Sequence[Event]) -> AgentTurn:
        """A turn starts over ``thread``: no tool rounds, failures or retry used yet."""
        self.thread = thread
        self.rounds = 0  # tool-call rounds this turn
        self.failures = 0  # unusable replies or failed tool rounds in a row
        self.retried = False  # the one structured-output retry is used
        self.note: str | None = None  # what the agent's memory recalls for this turn
        self.done = False
        self._runner: CallRunner | None = None  # (its calls' approvals and waits are this turn's)
        return self

    @property
    def offering(self) -> bool:
        return self.rounds < self.agent.max_tool_iterations

    def unanswered(self) -> ToolCalls | None:
        """When resuming: this turn's last tool request whose calls have no result yet (the
        approvals already asked for or decided are noted, so none is asked or recorded twice)."""
        found: ToolCalls | None = None
        answered: set[str] = set()
        runner = self.runner
        for i in range(len(self.thread) - 1, -1, -1):
            event = self.thread[i]
            if event.scope:
                continue
            kind = event.__class__
            if kind is SpeakerSelected and event.speaker == self.name:  # type: ignore[attr-defined]
                break
            if kind is Approval:
                runner.decided.setdefault(event.call_id, event)  # type: ignore[attr-defined, arg-type]
            elif kind is ApprovalRequested:
                runner.asked.add(event.call_id)  # type: ignore[attr-defined]
            if event.source != self.name:
                continue
            if kind is ToolResult:
                answered.add(event.call_id)  # type: ignore[attr-defined]
            elif kind is ToolCalls:
                self.rounds += 1
                if found is None and any(c.id not in answered for c in event.calls):  # type: ignore[attr-defined]
                    found = event  # type: ignore[assignment]
        if found is None:
            return None
        missing = tuple(c for c in found.calls if c.id not in answered)
        return ToolCalls(source=found.source, calls=missing, step=found.step)

    def request(self, offer: bool) -> ModelRequest:
        """The next model call (``offer``: with the tools): the agent's context as its policy
        chooses, a snapshot."""
        agent, memo = self.agent, self.memo
        memo.update(self.thread)
        schemas = self.schemas
        if self.note is None and agent.context.__class__ is Full:  # the usual case, without detours
            messages, tokens = MessagesView(memo.messages, len(memo.messages)), memo.cumulative[-1]
        else:
            system, memo.reserve = agent.system_with(memo, self.note)
            selection = agent.context.select(memo)
            messages, tokens = selection.messages(memo, system), selection.tokens(memo) + memo.reserve
        request = ModelRequest(
            self.name,
            messages,
            schemas if offer else [],
            "auto" if offer and schemas else "none",
            self.output_schema,
            self.output_name,
            tokens,
            agent.model_settings,
        )
        return agent.prepared(request) if agent.prepare is not None else request

    def on_empty(self, timing: dict[str, Any]) -> Event:
        self.failures += 1
        if self.failures >= self.agent.max_failures:
            self.done = True
            empty = plural(self.failures, "empty reply", "empty replies")
            why = f"{self.name}: the model sent {empty} in a row"
            return Stop(source=self.name, reason=why, step=self.ctx.step)
        hint = f" or call one of: {', '.join(self.by_name)}" if self.by_name and self.offering else ""
        return ErrorEvent(
            source=self.name,
            content=f"Your reply was empty. Reply with text{hint}.",
            step=self.ctx.step,
            **timing,
        )

    def on_text(self, text: str, timing: dict[str, Any]) -> Event:
        step = self.ctx.step
        if self.output_type is None:
            self.done = True
            return TextMessage(source=self.name, content=text, step=step, **timing)
        parsed, problems = validate_reply(self.output_type, text)
        if parsed is not None:
            self.done = True
            data = parsed.model_dump(mode="json")
            return TextMessage(source=self.name, content=readable(parsed), data=data, step=step, **timing)
        if self.retried:
            raise StructuredOutputError(self.name, self.output_name, problems, text)
        self.retried = True
        return ErrorEvent(
            source=self.name,
            content=f"Your reply is not a valid {self.output_name}: {problems}. Your reply was: "
            f"{text[:500]!r}. Reply again with only a JSON object matching this schema: "
            f"{json.dumps(self.output_schema)}",
            step=step,
            **timing,
        )

    def wait(self) -> Stop:
        """The turn ends here: calls wait for a person's decision (the run ends, waiting)."""
        self.done = True
        reason = awaiting_approval(self.runner.waiting)
        return Stop(source=self.name, reason=reason, waiting=True, step=self.ctx.step)

    def after_calls(self, calls: Sequence[ToolCall], results: Sequence[Event]) -> Event | None:
        """What the turn does once a round's calls have their results: hand off, reply with the
        tools' output, give up after failing rounds, or (None) ask the model again."""
        outcomes = [r for r in results if r.__class__ is ToolResult]
        succeeded = {r.call_id for r in outcomes if not r.is_error}  # type: ignore[attr-defined]
        step = self.ctx.step
        for call in calls:
            tool = self.by_name.get(call.name)
            if call.id in succeeded and tool is not None and tool.handoff_target:
                self.done = True
                return Handoff(source=self.name, target=tool.handoff_target, step=step)
        if not self.agent.reflect_on_tool_use and succeeded:
            self.done = True
            return TextMessage(source=self.name, content="\n\n".join(r.content for r in outcomes), step=step)  # type: ignore[attr-defined]
        if succeeded:
            self.failures = 0
            return None
        self.failures += 1
        if self.failures < self.agent.max_failures:
            return None
        self.done = True
        last = outcomes[-1].content[:200] if outcomes else "no result"  # type: ignore[attr-defined]
        why = f"{self.name}: {plural(self.failures, 'tool-call round')} in a row failed (last: {last})"
        return Stop(source=self.name, reason=why, step=step)

    @property
    def runner(self) -> CallRunner:
        """What runs this turn's tool calls (made at the first call: most turns make none)."""
        if self._runner is None:
            ctx = self.ctx
            rounds = self.agent.max_tool_iterations
            self._runner = CallRunner(self.name, ctx.step, ctx.approver, ctx.approver_name, rounds)
        return self._runner

    async def calls(self, calls: Sequence[ToolCall], offered: bool = True) -> AsyncIterator[Event]:
        """Run a round's calls (``offered``: tools were offered in that request); yield the
        progress tools report while they run, then the results in call order, then how the
        round ends the turn (a handoff, a reply, a stop, a wait for a person), if it does."""
        tools = self.by_name if offered else {}
        results: list[Event] = []
        if any(tools[c.name].reports_progress for c in calls if c.name in tools):
            async for event in self.runner.run_live(calls, tools, self.by_name):
                if event.__class__ is not ToolProgress and not event.scope:  # not a nested run's
                    results.append(event)
                yield event
        else:
            for event in await self.runner.run(calls, tools, self.by_name):
                results.append(event)
                yield event
        ending = self.wait() if self.runner.waiting else self.after_calls(calls, results)
        if ending is not None:
            yield ending


def agent_turn(agent: Any, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
    """Call the model (and tools) until the agent replies; yield every event on the way.

    The caller appends each yielded event (other than token deltas) to ``thread`` before
    resuming the turn, so the next model call sees it. With ``ctx.keep`` this is the agent's
    stream of all its turns in ``ctx`` (`TurnContext`).
    """
    if not ctx.keep:
        return agent_turns(agent, thread, ctx)
    if ctx.stream is None:
        ctx.stream = agent_turns(agent, thread, ctx)
    return ctx.stream


async def agent_turns(agent: Any, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
    """One turn of the agent, or (``ctx.keep``) each of its turns, pausing after the reply that
    ends one until the caller reads on."""
    while True:
        turn = ctx.turn
        if turn is None or turn.agent is not agent or turn.tools is not agent.tools:
            turn = await start(agent, ctx)
        turn = turn.begin(thread)
        model, pace = turn.model, ctx.pace if ctx.pace is not None else Pace()
        if ctx.resume:
            pending = turn.unanswered()
            if pending is not None:
                async for event in turn.calls(pending.calls):
                    yield event
        if (agent.memory is not None or agent.summarizes) and not turn.done:
            turn.memo.update(thread)
            if agent.summarizes:
                async for event in agent.summarize(turn.memo, model, ctx.step):
                    yield event
            if agent.memory is not None:
                turn.note = await asyncio.to_thread(agent.memory_note, turn.memo)
        stream_tokens, name, step = ctx.stream_tokens, agent.name, ctx.step
        asked, plain, rounds = model.name, turn.output_type is None, agent.max_tool_iterations
        while not turn.done:
            pace.calls += 1
            if pace.calls % YIELD_EVERY == 1:
                await asyncio.sleep(0)  # Stop buttons, timeouts and other teams can cut in (see Pace)
            offered = turn.rounds < rounds
            request = turn.request(offered)
            started = time.time()
            first: float | None = None
            reply: Any = None
            async for chunk in model.stream(request):
                if chunk.__class__ is str:
                    if first is None:
                        first = time.time()
                    if stream_tokens:
                        yield token_delta(name, chunk, step)
                else:
                    reply = chunk
            if reply.__class__ is ModelReply and not reply.tool_calls and reply.usage.__class__ is Usage:
                text = reply.text  # the usual reply, checked here (`checked_reply` says what is wrong)
                if text.__class__ is str and plain and text.strip():  # a plain reply: the turn ends
                    yield reply_message(name, text, step, reply.usage, reply.model, asked, started, first)
                    break
            reply = checked_reply(model, reply)
            timing = {
                "usage": reply.usage,
                "model": reply.model,
                "request_model": asked,
                "started_at": started,
                "first_token_at": first,
            }
            if reply.tool_calls:
                turn.rounds += 1
                yield ToolCalls(
                    source=name, calls=tuple(reply.tool_calls), content=reply.text, step=step, **timing
                )
                async for event in turn.calls(reply.tool_calls, offered):
                    yield event
            elif not reply.text.strip():
                yield turn.on_empty(timing)
            else:
                yield turn.on_text(reply.text, timing)
        if not ctx.keep:
            return


async def start(agent: Any, ctx: TurnContext) -> AgentTurn:
    """The `AgentTurn` of an agent's turn in ``ctx``: kept there for its next turns when its tools
    cannot change on the way (no memory, no toolsets; ``agent.tools`` replaced makes a new one)."""
    model = ctx.model if ctx.model is not None else agent.own_model()
    if model is None:
        raise ValueError(f"agent {agent.name!r} has no model; give it one or run it in a team")
    if agent.memory is None and not agent.toolsets and not ctx.extra_tools and ctx.memo is not None:
        ctx.turn = AgentTurn(agent, ctx, model, agent.tools)
        return ctx.turn
    tools = agent.tools if agent.memory is None else agent.all_tools()
    if ctx.extra_tools:
        tools = [*tools, *ctx.extra_tools]
    if agent.toolsets:
        tools = [*tools, *await agent.toolset_tools({t.name for t in tools})]
    return AgentTurn(agent, ctx, model, tools)


@functools.cache
def schema_of(output_type: Any) -> dict[str, Any]:
    """An output type's JSON schema (built once per type: building one costs milliseconds)."""
    return output_type.model_json_schema()


def checked_reply(model: Any, reply: Any) -> ModelReply:
    """The model's final reply, or a `ModelError` that says which model sent what instead."""
    usual = reply.__class__ is ModelReply and reply.text.__class__ is str and reply.usage.__class__ is Usage
    if usual and (not reply.tool_calls or all(c.__class__ is ToolCall for c in reply.tool_calls)):
        return reply  # the usual case, checked fast
    who = getattr(model, "name", type(model).__name__)
    if reply is None:
        raise ModelError(f"model {who!r} ended its stream without a reply (a ModelReply must come last)")
    if not isinstance(reply, ModelReply):
        raise ModelError(
            f"model {who!r} streamed {type(reply).__name__} {reply!r:.80}; a model yields text pieces (str) "
            "and then one ModelReply"
        )
    problems = []
    if not isinstance(reply.text, str):
        problems.append(f"text={reply.text!r:.60} (expected a string, '' for none)")
    if not isinstance(reply.tool_calls, list | tuple) or not all(
        isinstance(c, ToolCall) for c in reply.tool_calls
    ):
        problems.append(f"tool_calls={reply.tool_calls!r:.80} (expected a list of ToolCall)")
    if reply.usage is None or not hasattr(reply.usage, "total_tokens"):
        problems.append(f"usage={reply.usage!r:.60} (expected a Usage)")
    if problems:
        raise ModelError(f"model {who!r} returned a ModelReply with {'; '.join(problems)}")
    return reply
