"""Agent: a role (system prompt), a model and tools; one turn turns the chat into events.

An agent is configuration, not state: what its model sees is derived from the team's
transcript (`agentnb.context.AgentContext`, kept by the team), so one agent can sit in
several teams, and rewinds, forks and saved runs need nothing from it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from agentnb.context import AgentContext, ContextPolicy, Summarize, as_policy
from agentnb.errors import StructuredOutputError
from agentnb.messages import (
    Approval,
    ContextSummary,
    ErrorEvent,
    Event,
    Handoff,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolProgress,
    ToolResult,
)
from agentnb.models.base import ChatMessage, Model, ModelReply, ModelRequest, check_settings, message_tokens
from agentnb.runs import Pace
from agentnb.stop import USER
from agentnb.structured import readable
from agentnb.tools import Tool, Toolset, as_tool, describe_call, is_toolset, reporting_progress
from agentnb.words import plural

if TYPE_CHECKING:
    from agentnb.context import ContextPreview
    from agentnb.result import TeamResult
    from agentnb.team import Team

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
Approver = Callable[[str, ToolCall], Awaitable[tuple[Any, ...]]]
SUMMARY_PROMPT = (
    "You keep the memory of {agent}, an agent in a team conversation. Summarize the earlier "
    "conversation below (and the previous summary, if any) in a few short lines: the facts, "
    "decisions, results and open questions {agent} needs later. Write only the summary."
)


def check_name(name: Any, what: str = "name") -> str:
    """Participant names become tool names and chat names, so they must be identifiers."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        hint = " (names cannot contain spaces)" if isinstance(name, str) and " " in name.strip() else ""
        raise ValueError(
            f"{what}: {name!r} is not allowed{hint}; use letters, digits, '_' or '-' "
            "(starting with a letter or '_', at most 64 characters)"
        )
    if name == USER:
        raise ValueError(f"{what}: 'user' is reserved for the task's sender; choose another name")
    return name


@dataclass
class TurnContext:
    """What a team gives a participant for one turn.

    ``memo`` is the participant's derived context in this team; ``output_type`` overrides
    the agent's own for this turn (a plan step with an expected output); ``step`` tags
    the turn's events with the plan step they belong to.
    """

    model: Model | None = None
    extra_tools: Sequence[Tool] = ()
    approver: Approver | None = None
    approver_name: str = "human"
    stream_tokens: bool = True
    memo: AgentContext | None = None
    output_type: type[BaseModel] | None = None
    step: str = ""
    pace: Pace | None = None  # the run's (shared by its turns); None: a pace of this turn's own


def strip_code_fence(text: str) -> str:
    """Models often wrap JSON in a markdown fence; structured output accepts that."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else text[3:]
        text = text.rsplit("```", 1)[0]
    return text.strip()


class Agent:
    """A participant backed by a model.

    ``role`` is the system prompt; ``description`` (first line of the role by default) is
    what other participants and the selector read. ``model`` is a `Model` or a spec string;
    ``None`` uses the team's model. ``output_type`` makes every reply a validated pydantic
    object (shown in the chat as readable text, kept as ``data``). A turn may call tools
    up to ``max_tool_iterations`` rounds; then tools are no longer offered and a call to
    one is an error the model sees. ``reflect_on_tool_use=False`` makes the tools' output
    the reply, without another model call. ``context`` is a context policy (see
    `agentnb.context`), ``memory`` a long-term `MemoryStore` the agent reads before each
    turn and writes with a ``remember`` tool, ``model_settings`` sampling settings
    (temperature, max_tokens, repeat_penalty, ...). ``prepare`` is a function of each
    `ModelRequest` that returns the request to send (a changed copy, e.g. with
    ``dataclasses.replace``): it can narrow a tool's or the reply's schema to what the
    conversation allows, or force a tool; tools and ``output_type`` still validate the reply.
    """

    def __init__(
        self,
        name: str,
        role: str = "",
        *,
        description: str | None = None,
        model: Model | str | None = None,
        tools: Sequence[Tool | Toolset | Callable[..., Any]] = (),
        output_type: type[BaseModel] | None = None,
        handoffs: Sequence[str | Any] | None = None,
        max_tool_iterations: int = 5,
        max_failures: int = 3,
        reflect_on_tool_use: bool = True,
        context: ContextPolicy | None = None,
        memory: Any = None,
        model_settings: dict[str, Any] | None = None,
        prepare: Callable[[ModelRequest], ModelRequest] | None = None,
    ) -> None:
        self.name = check_name(name)
        if not isinstance(role, str):
            raise ValueError(f"role: expected the agent's instructions as text, got {type(role).__name__}")
        self.role = role or f"You are {name}."
        self.description = description or self.role.strip().splitlines()[0]
        if isinstance(tools, Tool) or callable(tools) or isinstance(tools, str):
            raise ValueError(
                f"tools: expected a list of tools, got {tools!r}; "
                f"write tools=[{getattr(tools, 'name', 'my_tool')}]"
            )
        self.toolsets: list[Toolset] = [t for t in tools if is_toolset(t)]  # tools listed at run time
        self.tools = [as_tool(t) for t in tools if not is_toolset(t)]
        names = [t.name for t in self.tools]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"tools: agent {name!r} has two tools named {duplicates[0]!r}")
        if output_type is not None and not (
            isinstance(output_type, type) and issubclass(output_type, BaseModel)
        ):
            raise ValueError(f"output_type: expected a pydantic BaseModel class, got {output_type!r}")
        self.output_type = output_type
        self.handoffs = _handoff_names(handoffs)
        for label, value, low in (
            ("max_tool_iterations", max_tool_iterations, 0),
            ("max_failures", max_failures, 1),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{label}: expected an integer >= {low}, got {value!r}")
        self.max_tool_iterations = max_tool_iterations
        self.max_failures = max_failures
        self.reflect_on_tool_use = bool(reflect_on_tool_use)
        self.context = context
        if memory is not None and not callable(getattr(memory, "context_note", None)):
            raise ValueError(f"memory: expected a MemoryStore, got {memory!r}")
        self.memory = memory
        self.model_settings = model_settings
        if prepare is not None and not callable(prepare):
            raise ValueError(f"prepare: expected a function of a ModelRequest, got {prepare!r}")
        self.prepare = prepare
        if isinstance(model, str):
            from agentnb.models.spec import check_spec

            check_spec(model)
        self.model = model
        self._solo: Any = None

    def __repr__(self) -> str:
        return f"Agent({self.name!r})"

    @property
    def context(self) -> ContextPolicy:
        """The context policy (checked when set: lessons set it on existing agents)."""
        return self._context

    @context.setter
    def context(self, value: ContextPolicy | None) -> None:
        self._context = as_policy(value)

    @property
    def model_settings(self) -> dict[str, Any]:
        """Sampling settings sent with every model call (checked when set)."""
        return self._model_settings

    @model_settings.setter
    def model_settings(self, value: dict[str, Any] | None) -> None:
        self._model_settings = check_settings(value)

    def copy(self, **changes: Any) -> Agent:
        """A copy with its own lists (tools, handoffs), optionally with attributes changed."""
        clone = copy.copy(self)
        clone.tools = list(self.tools)
        clone.toolsets = list(self.toolsets)
        clone.handoffs = list(self.handoffs) if self.handoffs is not None else None
        clone.model_settings = dict(self.model_settings)
        clone._solo = None
        for key, value in changes.items():
            if not hasattr(clone, key):
                raise AttributeError(f"Agent has no attribute {key!r}")
            setattr(clone, key, value)
        return clone

    def reset(self) -> None:
        """Forget this agent's standalone conversation (`run` / `run_sync`)."""
        if self._solo is not None:
            self._solo.reset()

    def all_tools(self) -> list[Tool]:
        """The agent's tools, plus its memory's tools when it has a memory."""
        if self.memory is None:
            return self.tools
        own = {t.name for t in self.tools}
        return [*self.tools, *(t for t in self.memory.tools(self.name) if t.name not in own)]

    def new_context(self) -> AgentContext:
        return AgentContext(self.name, self.role)

    # ----- what the model sees -----------------------------------------------------------------

    def _memory_note(self, memo: AgentContext) -> str | None:
        """What the agent's memory recalls for the latest message (None without memory)."""
        if self.memory is None:
            return None
        query = next(
            (
                m["content"]
                for m in reversed(memo.messages)
                if m.get("role") == "user" and isinstance(m.get("content"), str) and m["content"].strip()
            ),
            None,
        )
        return self.memory.context_note(query or self.role)

    def _request_messages(self, memo: AgentContext, note: str | None) -> tuple[list[ChatMessage], int]:
        """The messages of the next model call and their estimated tokens.

        A memory note joins the system prompt (some chat templates take one system message).
        """
        selection = self.context.select(memo)
        messages, tokens = selection.messages(memo), selection.tokens(memo)
        if note:
            system = {"role": "system", "content": f"{messages[0]['content']}\n\n{note}"}
            tokens += message_tokens(system) - message_tokens(messages[0])
            messages = [system, *messages[1:]]
        return messages, tokens

    def context_preview(self, team: Team | None = None) -> ContextPreview:
        """Exactly what this agent's next model call in ``team`` would receive, and what was cut."""
        from agentnb.context import preview

        team = team if team is not None else self._team()
        memo = team.context_of(self.name)
        memo.update(team.transcript)
        note = self._memory_note(memo)
        extra = [{"role": "system", "name": "memory", "content": note}] if note else []
        return preview(memo, self.context.select(memo), self.context, extra)

    # ----- one turn ------------------------------------------------------------------------

    async def turn(self, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        """Call the model (and tools) until the agent replies; yield every event on the way.

        The caller appends each yielded event (other than token deltas) to ``thread`` before
        resuming the turn, so the next model call sees it.
        """
        model = ctx.model
        if model is None and self.model is not None and not isinstance(self.model, str):
            model = self.model
        if model is None:
            raise ValueError(f"agent {self.name!r} has no model; give it one or run it in a team")
        memo = ctx.memo if ctx.memo is not None else self.new_context()
        pace = ctx.pace if ctx.pace is not None else Pace()
        step = ctx.step
        tools = [*self.all_tools(), *ctx.extra_tools]
        if self.toolsets:
            tools += await self._toolset_tools({t.name for t in tools})
        by_name = {t.name: t for t in tools}
        schemas = [t.schema for t in tools]
        output_type = ctx.output_type or self.output_type
        output_schema = output_type.model_json_schema() if output_type else None
        output_name = output_type.__name__ if output_type else "output"
        name = self.name
        settings = self.model_settings
        if isinstance(self.context, Summarize):
            memo.update(thread)
            async for event in self._summarize(memo, model, ctx):
                yield event
        memo.update(thread)
        note = await asyncio.to_thread(self._memory_note, memo) if self.memory is not None else None
        failures = 0
        structured_retry_used = False
        iteration = 0
        while True:
            await pace.tick()  # Stop buttons, timeouts and other teams can cut in
            offer = iteration < self.max_tool_iterations
            memo.update(thread)
            messages, prompt_tokens = self._request_messages(memo, note)
            request = ModelRequest(
                agent=name,
                messages=messages,
                tools=schemas if offer else [],
                tool_choice="auto" if offer and schemas else "none",
                output_schema=output_schema,
                output_name=output_name,
                prompt_tokens=prompt_tokens,
                settings=settings,
            )
            if self.prepare is not None:
                request = self._prepared(request)
            started = time.time()
            first: float | None = None
            reply: ModelReply | None = None
            async for chunk in model.stream(request):
                if chunk.__class__ is str:
                    if first is None:
                        first = time.time()
                    if ctx.stream_tokens:
                        yield TokenDelta(source=name, text=chunk, step=step)  # type: ignore[arg-type]
                else:
                    reply = chunk  # type: ignore[assignment]
            if reply is None:
                raise RuntimeError(f"model {model.name!r} ended its stream without a reply")
            timing = {
                "usage": reply.usage,
                "model": reply.model,
                "started_at": started,
                "first_token_at": first,
            }

            if reply.tool_calls:
                iteration += 1
                yield ToolCalls(source=name, calls=reply.tool_calls, content=reply.text, step=step, **timing)
                offered = by_name if offer else {}
                if any(offered[c.name].reports_progress for c in reply.tool_calls if c.name in offered):
                    results = []
                    async for event in self._run_calls_live(reply.tool_calls, offered, by_name, ctx):
                        if event.__class__ is not ToolProgress:
                            results.append(event)
                        yield event
                else:
                    results = await self._run_calls(reply.tool_calls, offered, by_name, ctx)
                    for result in results:
                        yield result
                outcomes = [r for r in results if isinstance(r, ToolResult)]
                succeeded = {r.call_id for r in outcomes if not r.is_error}
                target = next(
                    (
                        offered[c.name].handoff_target
                        for c in reply.tool_calls
                        if c.id in succeeded and c.name in offered and offered[c.name].handoff_target
                    ),
                    None,
                )
                if target is not None:
                    yield Handoff(source=name, target=target, step=step)
                    return
                if not self.reflect_on_tool_use and succeeded:
                    summary = "\n\n".join(r.content for r in outcomes)
                    yield TextMessage(source=name, content=summary, step=step)
                    return
                if succeeded:
                    failures = 0
                else:
                    failures += 1
                    if failures >= self.max_failures:
                        yield Stop(
                            source=name,
                            reason=f"{name}: {plural(failures, 'tool-call round')} in a row failed "
                            f"(last: {outcomes[-1].content[:200]})",
                            step=step,
                        )
                        return
                continue

            text = reply.text
            if not text.strip():
                failures += 1
                if failures >= self.max_failures:
                    yield Stop(
                        source=name,
                        reason=f"{name}: the model sent "
                        f"{plural(failures, 'empty reply', 'empty replies')} in a row",
                        step=step,
                    )
                    return
                hint = f" or call one of: {', '.join(by_name)}" if by_name and offer else ""
                yield ErrorEvent(
                    source=name, content=f"Your reply was empty. Reply with text{hint}.", step=step, **timing
                )
                continue

            if output_type is None:
                yield TextMessage(source=name, content=text, step=step, **timing)
                return
            try:
                parsed = output_type.model_validate_json(strip_code_fence(text))
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
                    step=step,
                    **timing,
                )
                continue
            message = TextMessage(
                source=name,
                content=readable(parsed),
                data=parsed.model_dump(mode="json"),
                step=step,
                **timing,
            )
            yield message
            return

    def _prepared(self, request: ModelRequest) -> ModelRequest:
        prepared = self.prepare(request)  # type: ignore[misc]
        if not isinstance(prepared, ModelRequest):
            raise TypeError(
                f"agent {self.name!r}: prepare must return the ModelRequest to send "
                f"(e.g. dataclasses.replace(request, ...)), got {type(prepared).__name__}"
            )
        return prepared

    async def _summarize(self, memo: AgentContext, model: Model, ctx: TurnContext) -> AsyncIterator[Event]:
        """Before the turn: replace older context by a summary when the policy says it is due."""
        policy = self.context
        assert isinstance(policy, Summarize)
        due = policy.due(memo)
        if due is None:
            return
        start, end = due
        lines = [f"Previous summary:\n{memo.summary}"] if memo.summary else []
        for message in memo.messages[start:end]:
            who = message.get("name") or message.get("role")
            content = message.get("content") or ""
            if message.get("tool_calls"):
                content += " " + ", ".join(
                    f"{c['function']['name']}({c['function']['arguments']})" for c in message["tool_calls"]
                )
            lines.append(f"{who}: {content}")
        summarizer = model
        if policy.model is not None:
            from agentnb.models import resolve

            summarizer = resolve(policy.model)
        request = ModelRequest(
            agent=f"{self.name}-summary",
            messages=[
                {"role": "system", "content": SUMMARY_PROMPT.format(agent=self.name)},
                {"role": "user", "content": "\n".join(lines)},
            ],
            tool_choice="none",
        )
        started = time.time()
        from agentnb.models.base import complete

        reply = await complete(summarizer, request)
        yield ContextSummary(
            source=self.name,
            content=reply.text.strip(),
            covers=end,
            usage=reply.usage,
            model=reply.model,
            started_at=started,
            step=ctx.step,
        )

    async def _toolset_tools(self, taken: set[str]) -> list[Tool]:
        """The tools of the agent's toolsets (an MCP server connects on first use), by name once."""
        found: list[Tool] = []
        for toolset in self.toolsets:
            for t in await toolset.tools_for_run():
                if t.name in taken:
                    raise ValueError(
                        f"agent {self.name!r}: toolset {toolset.name!r} has a tool named {t.name!r}, and so "
                        "does another of its tools; give the toolset a prefix (e.g. prefix='git_')"
                    )
                taken.add(t.name)
                found.append(t)
        return found

    async def _run_calls(
        self,
        calls: list[ToolCall],
        offered: dict[str, Tool],
        known: dict[str, Tool],
        ctx: TurnContext,
        progress: Callable[[ToolProgress], None] | None = None,
    ) -> list[Event]:
        """Run one reply's tool calls concurrently; results come back in call order."""
        if len(calls) == 1:
            return await self._run_call(calls[0], offered, known, ctx, progress)
        groups = await asyncio.gather(*(self._run_call(c, offered, known, ctx, progress) for c in calls))
        return [event for group in groups for event in group]

    async def _run_calls_live(
        self, calls: list[ToolCall], offered: dict[str, Tool], known: dict[str, Tool], ctx: TurnContext
    ) -> AsyncIterator[Event]:
        """`_run_calls`, yielding the `ToolProgress` the tools report while they run, then the results.

        Cancelling the turn cancels the calls (an MCP server is told to stop its work).
        """
        loop = asyncio.get_running_loop()
        reports: list[ToolProgress] = []
        wake = loop.create_future()

        def report(event: ToolProgress) -> None:
            reports.append(event)
            if not wake.done():
                wake.set_result(None)

        work = asyncio.ensure_future(self._run_calls(calls, offered, known, ctx, report))
        try:
            while not work.done():
                await asyncio.wait((work, wake), return_when=asyncio.FIRST_COMPLETED)
                if wake.done():
                    wake = loop.create_future()
                while reports:
                    yield reports.pop(0)
            for event in work.result():
                yield event
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)

    def _error(self, call: ToolCall, content: str, step: str) -> ToolResult:
        return ToolResult(
            source=self.name, call_id=call.id, name=call.name, is_error=True, content=content, step=step
        )

    async def _run_call(
        self,
        call: ToolCall,
        offered: dict[str, Tool],
        known: dict[str, Tool],
        ctx: TurnContext,
        progress: Callable[[ToolProgress], None] | None = None,
    ) -> list[Event]:
        tool = offered.get(call.name)
        if tool is None:
            if call.name in known:
                return [
                    self._error(
                        call,
                        f"Error: {call.name!r} is not available now: this turn has used its "
                        f"{self.max_tool_iterations} rounds of tool calls. Reply with text.",
                        ctx.step,
                    )
                ]
            available = ", ".join(offered) or "none"
            return [
                self._error(
                    call, f"Error: unknown tool {call.name!r}. Available tools: {available}.", ctx.step
                )
            ]
        events: list[Event] = []
        arguments = call.arguments
        if tool.requires_approval:
            if ctx.approver is None:
                return [
                    self._error(
                        call,
                        f"Error: {call.name!r} needs a human's approval and nobody can give it.",
                        ctx.step,
                    )
                ]
            asked = time.time()
            asking = call.model_copy(update={"origin": tool.origin}) if tool.origin else call
            verdict = await ctx.approver(self.name, asking)
            approved, comment = bool(verdict[0]), str(verdict[1]) if len(verdict) > 1 else ""
            edited = verdict[2] if len(verdict) > 2 else None
            if edited is not None and not isinstance(edited, str):
                edited = json.dumps(edited)
            if edited == call.arguments:
                edited = None
            events.append(
                Approval(
                    source=ctx.approver_name,
                    call_id=call.id,
                    tool=call.name,
                    approved=approved,
                    comment=comment,
                    arguments=edited,
                    started_at=asked,
                    step=ctx.step,
                )
            )
            if not approved:
                note = f" They said: {comment}" if comment else ""
                events.append(
                    self._error(call, f"The human rejected the call {describe_call(call)}.{note}", ctx.step)
                )
                return events
            if edited is not None:
                arguments = edited
        if progress is None:
            outcome = await tool.run(arguments)
        else:

            def report(done: float, total: float | None, message: str) -> None:
                progress(
                    ToolProgress(
                        source=self.name,
                        call_id=call.id,
                        name=call.name,
                        progress=done,
                        total=total,
                        message=message,
                        step=ctx.step,
                    )
                )

            with reporting_progress(report):
                outcome = await tool.run(arguments)
        events.append(
            ToolResult(
                source=self.name,
                call_id=call.id,
                name=call.name,
                content=outcome.content,
                is_error=outcome.is_error,
                duration=outcome.duration,
                display=getattr(outcome, "display", None),
                step=ctx.step,
            )
        )
        return events

    # ----- standalone use ------------------------------------------------------------------

    def run(self, task: Any) -> Awaitable[TeamResult]:
        """Ask this agent alone (one turn); the conversation continues across calls."""
        return self._team().run(task)

    def run_sync(self, task: Any) -> TeamResult:
        """`run` for code without an event loop, or inside Jupyter's."""
        return self._team().run_sync(task)

    def stream(self, task: Any) -> AsyncIterator[Event]:
        """Every event of one turn of this agent alone, as it happens (the last is a `Stop`)."""
        return self._team().stream(task)

    def as_tool(self, name: str | None = None, description: str | None = None) -> Tool:
        """This agent as a tool another agent can call with a task; each call starts fresh."""
        from agentnb.team import Team

        return Team([self], name=f"{self.name}_tool", max_turns=1).as_tool(
            name or self.name, description or self.description
        )

    def _team(self) -> Any:
        if self._solo is None:
            from agentnb.team import Team

            self._solo = Team([self], name=f"{self.name}_solo", max_turns=1)
        return self._solo


def _handoff_names(handoffs: Sequence[Any] | None) -> list[str] | None:
    """Handoff targets as names: agents (and teams, humans) are accepted for their names."""
    if handoffs is None:
        return None
    if isinstance(handoffs, str) or not isinstance(handoffs, Sequence):
        raise ValueError(f"handoffs: expected a list of participant names, got {handoffs!r}")
    names = []
    for target in handoffs:
        name = target if isinstance(target, str) else getattr(target, "name", None)
        if not isinstance(name, str):
            raise ValueError(f"handoffs: expected participant names or agents, got {target!r}")
        if name in names:
            raise ValueError(f"handoffs: {name!r} is listed twice; each target gets one transfer tool")
        names.append(name)
    return names
