"""Team: the conversation loop — pick a speaker, run its turn, record events, check stop.

A run is an async stream of events (`Team.stream`); `Team.run` and `Team.run_sync` consume
it and return a `TeamResult`. The transcript lives on the team, so a run can be continued
with a follow-up task, and nothing is lost when a run is stopped, interrupted or fails.
"""

from __future__ import annotations

import asyncio
import collections.abc
import itertools
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Sequence
from contextlib import aclosing
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentnb.agent import Agent, TurnContext, check_name
from agentnb.errors import RunError, TeamBusyError
from agentnb.graph import Edge, Graph, run_graph
from agentnb.human import Human
from agentnb.messages import (
    Event,
    SpeakerSelected,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
    Usage,
)
from agentnb.models.base import Model
from agentnb.speakers import HandoffRouter, RoundRobin, Selector
from agentnb.stop import USER, MaxTurns, StopCondition, TextMention
from agentnb.tools import handoff_tool

MODES = ("round_robin", "selector", "handoff", "sequential", "graph")


class Participant(Protocol):
    """Anything that can take a turn: `Agent`, `Human`, or a nested `Team`."""

    name: str
    description: str

    def turn(self, thread: list[Event], ctx: TurnContext) -> AsyncIterator[Event]: ...

    def reset(self) -> None: ...


class TeamResult(BaseModel):
    """What a run produced: its events, the final answer, token usage and why it stopped."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    task: str | None
    messages: list[Event]
    final: str | None = None
    output: Any = Field(default=None, exclude=True)  # the last structured reply, validated
    usage: Usage = Usage()
    stop_reason: str = ""
    turns: int = 0

    def __repr__(self) -> str:
        final = self.final
        if final is not None and len(final) > 60:
            final = final[:60] + "…"
        return (
            f"TeamResult(turns={self.turns}, stop_reason={self.stop_reason!r}, final={final!r}, "
            f"messages=[{len(self.messages)} events], usage={self.usage.total_tokens} tokens)"
        )

    def chat(self) -> list[TextMessage]:
        """Only the text messages of the top-level conversation."""
        return [m for m in self.messages if isinstance(m, TextMessage) and not m.scope]

    def __str__(self) -> str:
        from agentnb.render import render_text

        return render_text(self.messages)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from agentnb.render import result_mimebundle

        return result_mimebundle(self)


class PendingRun(collections.abc.Coroutine):
    """What `Team.run` returns: a coroutine to await (or hand to ``asyncio.create_task``).

    Shown un-awaited in a notebook, it explains what to do instead of failing silently.
    """

    def __init__(self, coro: Coroutine[Any, Any, TeamResult], team_name: str) -> None:
        self._coro = coro
        self._team_name = team_name
        self._awaited = False

    def __await__(self) -> Generator[Any, None, TeamResult]:
        self._awaited = True
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        self._awaited = True
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._awaited = True
        self._coro.close()

    def hint(self) -> str:
        return (
            f"This run of team {self._team_name!r} has not started: write "
            "`result = await team.run(...)` in a notebook or async code, or call "
            "`team.run_sync(...)` anywhere."
        )

    def __repr__(self) -> str:
        return f"<PendingRun: {self.hint()}>"

    def _repr_markdown_(self) -> str:
        return f"**Not started.** {self.hint()}"

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"PendingRun has no attribute {name!r}. {self.hint()}")

    def __del__(self) -> None:
        if not self._awaited:
            self._coro.close()
            warnings.warn(self.hint(), RuntimeWarning, stacklevel=2)


class Team:
    """Participants that take turns until a stop condition is met.

    ``mode`` decides who speaks: ``round_robin``, ``selector`` (a model picks from the
    participants' descriptions), ``handoff`` (agents pass control with generated
    ``transfer_to_<name>`` tools), ``sequential`` (each once, in order) or ``graph``
    (``edges``; branches run concurrently). A run stops after ``max_turns`` turns, when a
    reply contains ``until`` text, or when ``stop`` (a `StopCondition`) is met.
    """

    def __init__(
        self,
        participants: Sequence[Participant],
        mode: str = "round_robin",
        *,
        name: str = "team",
        description: str = "",
        until: str | StopCondition | None = None,
        max_turns: int = 20,
        stop: StopCondition | None = None,
        model: Model | str | None = None,
        edges: Sequence[Edge | tuple[Any, ...]] | None = None,
        selector_prompt: str | None = None,
        allow_repeated_speaker: bool = False,
        approver: Callable[[str, ToolCall], Any] | None = None,
        stream_tokens: bool = True,
    ) -> None:
        self.name = check_name(name)
        self.description = (
            description or f"A team of {', '.join(getattr(p, 'name', '?') for p in participants)}."
        )
        self.participants = list(participants)
        if not self.participants:
            raise ValueError("participants: a team needs at least one participant (Agent, Human or Team)")
        names = [getattr(p, "name", None) for p in self.participants]
        for p, n in zip(self.participants, names, strict=True):
            if not (hasattr(p, "turn") and isinstance(n, str)):
                raise ValueError(f"participants: {p!r} is not an Agent, Human or Team")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"participants: the name {duplicates[0]!r} is used twice; names must be unique")
        if mode not in MODES:
            raise ValueError(f"mode: {mode!r} is not a team mode; allowed: {', '.join(MODES)}")
        if not isinstance(max_turns, int) or isinstance(max_turns, bool) or max_turns <= 0:
            raise ValueError(f"max_turns: expected a positive integer, got {max_turns!r}")
        self.mode = mode
        self.max_turns = max_turns
        self.model = model
        self.stream_tokens = stream_tokens
        self._by_name: dict[str, Participant] = dict(zip(names, self.participants, strict=True))  # type: ignore[arg-type]

        condition: StopCondition = MaxTurns(max_turns)
        if isinstance(until, str):
            condition = condition | TextMention(until)
        elif until is not None:
            condition = condition | until
        if stop is not None:
            condition = condition | stop
        self.condition = condition

        self._graph: Graph | None = None
        if mode in ("sequential", "graph"):
            if mode == "sequential" and edges is not None:
                raise ValueError(
                    "edges: sequential mode runs participants in the order given; use mode='graph' for edges"
                )
            if mode == "graph" and not edges:
                raise ValueError("edges: graph mode needs edges, e.g. edges=[('writer', 'editor')]")
            chain = list(itertools.pairwise(names)) if mode == "sequential" else list(edges or ())
            self._graph = Graph(names, chain)  # type: ignore[arg-type]
        elif edges is not None:
            raise ValueError(f"edges: only graph mode uses edges (mode is {mode!r})")
        self._policy: Any = {
            "round_robin": RoundRobin,
            "selector": lambda: Selector(selector_prompt, allow_repeated_speaker),
            "handoff": HandoffRouter,
        }.get(mode, RoundRobin)()

        self._handoff_tools: dict[str, list[Any]] = {}
        if mode == "handoff":
            for p in self.participants:
                if isinstance(p, Agent):
                    targets = p.handoffs if p.handoffs is not None else [n for n in names if n != p.name]
                    for target in targets:
                        if target not in self._by_name:
                            raise ValueError(
                                f"handoffs: agent {p.name!r} hands off to {target!r}, which is not a "
                                f"participant; participants are: {', '.join(names)}"
                            )
                    self._handoff_tools[p.name] = [
                        handoff_tool(t, self._by_name[t].description) for t in targets
                    ]

        humans = [p for p in self.participants if isinstance(p, Human)]
        self._approver_name = humans[0].name if humans and approver is None else "approver"
        self.approver = approver or (humans[0].approve if humans else None)
        for p in self.participants:
            for t in getattr(p, "tools", ()):
                if t.requires_approval and self.approver is None:
                    raise ValueError(
                        f"participants: {p.name!r}'s tool {t.name!r} requires approval, but the team "
                        "has no Human and no approver= function"
                    )

        self.transcript: list[Event] = []
        self.last_result: TeamResult | None = None
        self._current_stream: AsyncIterator[Event] | None = None
        self._running = False
        self._outer_seen = 0
        self._lock = threading.Lock()
        self._clear_run_state()

    def __repr__(self) -> str:
        return f"Team({self.name!r}, mode={self.mode!r}, participants={[p.name for p in self.participants]})"

    # ----- public --------------------------------------------------------------------------

    def participant(self, name: str) -> Participant:
        return self._by_name[name]

    def run(self, task: str | None = None) -> PendingRun:
        """Run the team on ``task`` (or continue without a new message); await the result."""
        return PendingRun(self._run(task), self.name)

    def run_sync(self, task: str | None = None) -> TeamResult:
        """Run to the end from synchronous code: a script, or a Jupyter cell without ``await``.

        Inside a running event loop (Jupyter) the run goes to a worker thread; a keyboard
        interrupt then stops it cleanly and returns what happened so far.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # The coroutine returns nothing: CPython 3.11's asyncio.run reprs its main task
            # (result included) when restoring the SIGINT handler, costly for a long chat.
            asyncio.run(self._drain(task))
        else:
            from agentnb.sync import run_in_thread

            run_in_thread(lambda: self._drain(task), lambda: self.stop("interrupted by the user"))
        assert self.last_result is not None
        return self.last_result

    def stop(self, reason: str = "stopped by the user") -> None:
        """End the current run cleanly, cancelling a model or tool call in flight.

        Safe to call from any task or thread; does nothing when the team is not running.
        """
        loop = self._loop
        if loop is None or not self._running:
            return
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            self._request_stop(reason)
        else:
            loop.call_soon_threadsafe(self._request_stop, reason)

    def reset(self) -> None:
        """Forget the conversation so the next run starts fresh."""
        if self._running:
            raise TeamBusyError(f"team {self.name!r} is running; stop it before reset()")
        self.transcript = []
        self.last_result = None
        self._outer_seen = 0
        self._policy.reset()
        for p in self.participants:
            p.reset()
        reset_model = getattr(self._resolved, "reset", None)
        if callable(reset_model):
            reset_model()

    def stream(self, task: str | None = None) -> AsyncIterator[Event]:
        """Yield every event of a run as it happens; the last one is a `Stop`."""
        holder: list[AsyncIterator[Event]] = []
        generator = self._stream(task, holder)
        holder.append(generator)
        return generator

    async def _stream(self, task: str | None, holder: list[AsyncIterator[Event]]) -> AsyncIterator[Event]:
        previous = self._current_stream
        if self._running and previous is not None and self._abandoned_here():
            # This task stopped reading its earlier stream (a `break` in `async for`) and
            # starts a new run: end the earlier run properly first instead of refusing.
            await previous.aclose()  # type: ignore[attr-defined]
        with self._lock:
            if self._running:
                raise TeamBusyError(
                    f"team {self.name!r} is already running a task; await that run, or call "
                    "team.stop() first (one team cannot run twice at the same time)"
                )
            self._running = True
        self._current_stream = holder[0]
        self._clear_run_state()
        self._task_text = task
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self.condition.reset()
        for external in self.condition.externals():
            external.listeners.append(self.stop)
        timeouts = self.condition.timeouts()
        timer = None
        if timeouts:
            seconds = min(timeouts)
            timer = self._loop.call_later(seconds, self._request_stop, f"timed out after {seconds:g} s")
        try:
            async with aclosing(self._produce(task)) as events:
                self._inside = True
                async for event in events:
                    self._inside = False
                    yield event
                    self._inside = True
        finally:
            self._inside = False
            if timer is not None:
                timer.cancel()
            for external in self.condition.externals():
                external.listeners.remove(self.stop)
            if not self._stop_reason:
                self._stop_reason = "the consumer stopped reading the stream"
            self.last_result = self._result()
            self._running = False
            self._task = None
            self._current_stream = None

    # ----- used by the speaker policies and the graph executor -----------------------------

    def _abandoned_here(self) -> bool:
        """True when the running stream waits at a yield for this very task to read on."""
        try:
            current = asyncio.current_task()
        except RuntimeError:
            return False
        return not self._inside and self._task is current

    def resolved_model(self) -> Model:
        """The team's default model (spec strings and ``None`` resolved once)."""
        if self._resolved is None:
            from agentnb.models import resolve

            self._resolved = resolve(self.model)
        return self._resolved

    def turn_context(self, name: str) -> TurnContext:
        participant = self._by_name[name]
        model = None
        if isinstance(participant, Agent):
            model = self._agent_model(participant)
        elif isinstance(participant, Team) and participant.model is None:
            model = self.resolved_model()
        return TurnContext(
            model=model,
            extra_tools=self._handoff_tools.get(name, ()),
            approver=self.approver,
            approver_name=self._approver_name,
            stream_tokens=self.stream_tokens,
        )

    def next_turn(self) -> int:
        self._turns += 1
        return self._turns

    def should_stop(self) -> bool:
        return bool(self._stop_reason or self._condition_reason or self._stop_requested)

    def finish(self, reason: str) -> None:
        if not self._stop_reason:
            self._stop_reason = reason

    # ----- nested teams: a Team is also a participant --------------------------------------

    async def turn(self, thread: list[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        """Run this team on what the outer conversation said since its last turn."""
        if self.model is None and ctx.model is not None:
            self._resolved = self._resolved or ctx.model
        news = [e for e in thread[self._outer_seen :] if isinstance(e, TextMessage) and e.source != self.name]
        self._outer_seen = len(thread)
        task = "\n\n".join(e.content if e.source == USER else f"{e.source}: {e.content}" for e in news)
        async for event in self.stream(task or None):
            yield event.model_copy(update={"scope": _nest(self.name, event.scope)})
        result = self.last_result
        yield TextMessage(source=self.name, content=(result.final if result else None) or "")

    # ----- the loop ------------------------------------------------------------------------

    def _clear_run_state(self) -> None:
        self._events: list[Event] = []
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._turns = 0
        self._stop_reason = ""
        self._condition_reason: str | None = None
        self._stop_requested: str | None = None
        self._inside = False
        self._task_text: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = getattr(self, "_loop", None)
        self._task: asyncio.Task[Any] | None = None
        if not hasattr(self, "_resolved"):
            self._resolved: Model | None = None
            self._agent_models: dict[str, tuple[object, Model]] = {}

    def _agent_model(self, agent: Agent) -> Model:
        """The agent's own model (resolved once per value), or the team's."""
        if agent.model is None:
            return self.resolved_model()
        cached = self._agent_models.get(agent.name)
        if cached is None or cached[0] is not agent.model:
            from agentnb.models import resolve

            cached = self._agent_models[agent.name] = (agent.model, resolve(agent.model))
        return cached[1]

    def _record(self, event: Event) -> Event:
        if event.__class__ is not TokenDelta:
            self._events.append(event)
            if not event.scope:
                self.transcript.append(event)
            usage = getattr(event, "usage", None)
            if usage is not None:
                self._prompt_tokens += usage.prompt_tokens
                self._completion_tokens += usage.completion_tokens
            if self._condition_reason is None:
                self._condition_reason = self.condition(event)
        return event

    def _request_stop(self, reason: str) -> None:
        if not self._running or self._stop_requested:
            return
        self._stop_requested = reason
        task = self._task
        if self._inside and task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()

    async def _produce(self, task: str | None) -> AsyncIterator[Event]:
        error: BaseException | None = None
        if task:
            yield self._record(TextMessage(source=USER, content=task))
        try:
            events = run_graph(self, self._graph) if self._graph is not None else self._conversation()
            async with aclosing(events) as stream:
                async for event in stream:
                    yield self._record(event)
                    if self._stop_requested:
                        break
        except asyncio.CancelledError:
            if self._stop_requested is None:
                self._stop_reason = self._stop_reason or "cancelled"
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except Exception as exc:
            error = exc
            self._stop_reason = f"error: {exc}"
        finally:
            for result in self._close_dangling_calls():
                self._record(result)
        if self._stop_requested and not self._stop_reason:
            self._stop_reason = self._stop_requested
        if not self._stop_reason:
            self._stop_reason = self._condition_reason or "finished"
        yield self._record(Stop(source=self.name, reason=self._stop_reason))
        if error is not None:
            raise RunError(f"team {self.name!r} stopped with an error: {error}", self._result()) from error

    async def _conversation(self) -> AsyncIterator[Event]:
        while True:
            if self._condition_reason or self._stop_requested:
                return
            choice = await self._policy.next(self)
            participant = self._by_name[choice.speaker]
            yield SpeakerSelected(
                source=self.name,
                speaker=choice.speaker,
                turn=self.next_turn(),
                reason=choice.reason,
                usage=choice.usage,
            )
            async with aclosing(participant.turn(self.transcript, self.turn_context(choice.speaker))) as turn:
                async for event in turn:
                    if event.__class__ is Stop and not event.scope:
                        self.finish(event.reason)
                        return
                    yield event
                    if self._stop_requested:
                        return

    def _close_dangling_calls(self) -> list[ToolResult]:
        """Tool calls cut off by a stop get an error result, so the chat stays well formed."""
        answered = {e.call_id for e in self._events if isinstance(e, ToolResult)}
        why = self._stop_requested or "stopped"
        missing: list[ToolResult] = []
        for event in self._events:
            if isinstance(event, ToolCalls) and not event.scope:
                for call in event.calls:
                    if call.id not in answered:
                        missing.append(
                            ToolResult(
                                source=event.source,
                                call_id=call.id,
                                name=call.name,
                                is_error=True,
                                content=f"Error: cancelled because the run stopped ({why}).",
                            )
                        )
        return missing

    def _result(self) -> TeamResult:
        final = None
        output = None
        for event in reversed(self._events):
            if isinstance(event, TextMessage) and not event.scope and event.source != USER:
                final = event.content
                participant = self._by_name.get(event.source)
                output_type = getattr(participant, "output_type", None)
                if event.data is not None and output_type is not None:
                    output = output_type.model_validate(event.data)
                break
        return TeamResult(
            task=self._task_text,
            messages=list(self._events),
            final=final,
            output=output,
            usage=Usage(prompt_tokens=self._prompt_tokens, completion_tokens=self._completion_tokens),
            stop_reason=self._stop_reason,
            turns=self._turns,
        )

    async def _drain(self, task: str | None) -> None:
        async for _ in self.stream(task):
            pass

    async def _run(self, task: str | None) -> TeamResult:
        await self._drain(task)
        assert self.last_result is not None
        return self.last_result


def _nest(name: str, scope: str) -> str:
    return f"{name}/{scope}" if scope else name
