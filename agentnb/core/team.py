"""Team: the conversation loop — pick a speaker, run its turn, record events, check stop.

A run is an async stream of events (`Team.stream`); `Team.run` and `Team.run_sync` consume
it and return a `TeamResult`. The transcript lives on the team, so a run can be continued
with a follow-up task, and nothing is lost when a run is stopped, interrupted or fails.
Everything else a run depends on is a fold over the transcript (`agentnb.core.state`), which
gives checkpoints after every event: `rewind`, `fork`, `save` and `load`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import sys
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any, Protocol

from agentnb.core.agent import Agent, TurnContext, check_name
from agentnb.core.context import AgentContext
from agentnb.core.errors import (
    AgentnbError,
    CheckpointError,
    RunError,
    RunInterrupted,
    TeamBusyError,
    UnknownParticipantError,
)
from agentnb.core.events import (
    USER,
    Event,
    SpeakerSelected,
    StepStarted,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCall,
    ToolCalls,
    ToolResult,
    Usage,
    event_from_json,
)
from agentnb.core.graph import Edge, Graph, GraphProgress, run_graph
from agentnb.core.human import Human
from agentnb.core.lifecycle import Pace, begin_run, end_run
from agentnb.core.model import Model, ModelError
from agentnb.core.result import PendingRun, TeamResult
from agentnb.core.speakers import HandoffRouter, RoundRobin, Selector
from agentnb.core.state import SNAPSHOT_EVERY, Checkpoints, RunState, Snapshot, SnapshotStore, check_index
from agentnb.core.stop import MaxTurns, StopCondition, TextMention, ends_turn
from agentnb.core.structured import parse_data
from agentnb.core.transcript import Transcript

MODES = ("round_robin", "selector", "handoff", "sequential", "graph", "plan")
STATE_FORMAT = "agentnb-team"
STATE_VERSION = 1
INTERRUPTED = "interrupted by the user"


class Participant(Protocol):
    """Anything that can take a turn: `Agent`, `Human`, or a nested `Team`."""

    name: str
    description: str

    def turn(self, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]: ...

    def reset(self) -> None: ...


def task_messages(task: Any) -> list[TextMessage]:
    """A run's task as messages: text, a `TextMessage`, or a list of them (None: no new message)."""
    if task is None or task == "":
        return []
    if isinstance(task, str):
        return [TextMessage(source=USER, content=task)]
    if isinstance(task, TextMessage):
        return [task]
    if isinstance(task, Sequence) and not isinstance(task, bytes | bytearray):
        out: list[TextMessage] = []
        for item in task:
            if isinstance(item, str):
                out.append(TextMessage(source=USER, content=item))
            elif isinstance(item, TextMessage):
                out.append(item)
            else:
                raise TypeError(
                    "task: a list of messages may hold text and TextMessage objects, "
                    f"got {type(item).__name__}"
                )
        return out
    raise TypeError(
        f"task: expected text, a TextMessage or a list of them (or None to continue), got "
        f"{type(task).__name__} {task!r:.60}"
    )


def build_condition(until: Any, stop: Any, max_turns: Any) -> StopCondition:
    """``max_turns`` | ``until`` | ``stop``, each checked, with errors naming the argument."""
    if not isinstance(max_turns, int) or isinstance(max_turns, bool) or max_turns <= 0:
        raise ValueError(f"max_turns: expected a positive integer, got {max_turns!r}")
    condition: StopCondition = MaxTurns(max_turns)
    if isinstance(until, str):
        if not until:
            raise ValueError("until: give the text that ends the run, e.g. until='APPROVED'")
        condition = condition | TextMention(until)
    elif isinstance(until, StopCondition):
        condition = condition | until
    elif until is not None:
        raise ValueError(
            f"until: expected the text that ends the run (e.g. 'APPROVED') or a stop condition, got {until!r}"
        )
    if stop is not None:
        if not isinstance(stop, StopCondition):
            hint = f"; for text, write until={stop!r}" if isinstance(stop, str) else ""
            raise ValueError(
                "stop: expected a stop condition such as MaxTurns(5) | TextMention('DONE'), "
                f"got {stop!r}{hint}"
            )
        condition = condition | stop
    return condition


def check_participants(participants: Any) -> list[Participant]:
    if (
        isinstance(participants, str)
        or not isinstance(participants, Sequence)
        or hasattr(participants, "turn")
    ):
        shown = getattr(participants, "name", None)
        hint = f"; write Team([{shown}])" if shown else ""
        raise TypeError(
            f"participants: expected a list of agents, humans or teams, got {participants!r}{hint}"
        )
    out = list(participants)
    if not out:
        raise ValueError("participants: a team needs at least one participant (Agent, Human or Team)")
    for p in out:
        if not (hasattr(p, "turn") and isinstance(getattr(p, "name", None), str)):
            raise ValueError(f"participants: {p!r} is not an Agent, Human or Team")
    names = [p.name for p in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"participants: the name {duplicates[0]!r} is used twice; names must be unique")
    return out


class Team:
    """Participants that take turns until a stop condition is met.

    ``mode`` decides who speaks: ``round_robin``, ``selector`` (a model picks from the
    participants' descriptions; ``selector_func`` / ``candidate_func`` may decide or
    narrow it), ``handoff`` (agents pass control with generated ``transfer_to_<name>``
    tools), ``sequential`` (each once, in order), ``graph`` (``edges``; branches run
    concurrently) or ``plan`` (a ``planner`` splits the task into steps that run in
    parallel where they can; see `agentnb.core.planning`). A run stops after ``max_turns``
    turns, when a reply contains ``until`` text, or when ``stop`` (a `StopCondition`) is met.
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
        selector_func: Callable[[Sequence[Event]], str | None] | None = None,
        candidate_func: Callable[[Sequence[Event]], Sequence[str]] | None = None,
        allow_repeated_speaker: bool = False,
        approver: Callable[[str, ToolCall], Any] | None = None,
        stream_tokens: bool = True,
        planner: Any = None,
        max_replans: int = 2,
        step_retries: int = 1,
        max_parallel: int = 4,
    ) -> None:
        self.participants = check_participants(participants)
        self.name = check_name(name)
        self.names = [p.name for p in self.participants]
        self._by_name: dict[str, Participant] = dict(zip(self.names, self.participants, strict=True))
        self.description = description or f"A team of {', '.join(self.names)}."
        if mode not in MODES:
            raise ValueError(f"mode: {mode!r} is not a team mode; allowed: {', '.join(MODES)}")
        self.mode = mode
        self.condition = build_condition(until, stop, max_turns)
        self.max_turns = max_turns
        if isinstance(model, str):
            from agentnb.models.spec import check_spec

            check_spec(model)
        self.model = model
        self.stream_tokens = stream_tokens
        self._config = {
            "mode": mode,
            "name": name,
            "description": description,
            "until": until,
            "max_turns": max_turns,
            "stop": stop,
            "model": model,
            "edges": edges,
            "selector_prompt": selector_prompt,
            "selector_func": selector_func,
            "candidate_func": candidate_func,
            "allow_repeated_speaker": allow_repeated_speaker,
            "approver": approver,
            "stream_tokens": stream_tokens,
            "planner": planner,
            "max_replans": max_replans,
            "step_retries": step_retries,
            "max_parallel": max_parallel,
        }
        self._policy: Any = self._make_policy(
            edges, selector_prompt, selector_func, candidate_func, allow_repeated_speaker
        )
        self._handoff_tools: dict[str, list[Any]] = {}
        if mode == "handoff":
            from agentnb.core.handoff import handoff_tools

            self._handoff_tools = handoff_tools(self.participants, self._by_name)
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
        self._resolved: Model | None = None
        self._agent_models: dict[str, tuple[object, Model]] = {}
        self._contexts: dict[str, AgentContext] = {}
        self.last_result: TeamResult | None = None
        self._lock = threading.Lock()
        self._running = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._current_stream: AsyncIterator[Event] | None = None
        self._inside = False
        self._clear_state()

    def _make_policy(
        self, edges: Any, prompt: Any, selector_func: Any, candidate_func: Any, repeat: bool
    ) -> Any:
        mode, names = self.mode, self.names
        if edges is not None and mode != "graph":
            if mode == "sequential":
                raise ValueError(
                    "edges: sequential mode runs participants in the order given; use mode='graph'"
                )
            raise ValueError(f"edges: only graph mode uses edges (mode is {mode!r})")
        if (selector_func or candidate_func or prompt is not None) and mode != "selector":
            raise ValueError(
                "selector_prompt/selector_func/candidate_func: only selector mode uses them "
                f"(mode is {mode!r})"
            )
        if mode == "round_robin":
            return RoundRobin()
        if mode == "selector":
            return Selector(prompt, repeat, selector_func=selector_func, candidate_func=candidate_func)
        if mode == "handoff":
            humans = [p.name for p in self.participants if isinstance(p, Human)]
            return HandoffRouter(humans, [n for n in names if n not in humans])
        if mode == "plan":
            from agentnb.core.planning import PlanProgress

            return PlanProgress(self, self._config)
        chain = list(itertools.pairwise(names)) if mode == "sequential" else list(edges or ())
        return GraphProgress(Graph(names, chain))

    def __repr__(self) -> str:
        return f"Team({self.name!r}, mode={self.mode!r}, participants={self.names})"

    # ----- public --------------------------------------------------------------------------

    def participant(self, name: str) -> Participant:
        """The participant called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownParticipantError(
                f"team {self.name!r} has no participant {name!r}; "
                f"its participants are: {', '.join(self.names)}"
            ) from None

    def run(self, task: Any = None) -> PendingRun:
        """Run the team on ``task`` (or continue without a new message); await the result."""
        return PendingRun(self._run(task_messages(task)), self.name)

    def run_sync(self, task: Any = None) -> TeamResult:
        """Run to the end from synchronous code: a script, or a Jupyter cell without ``await``.

        Inside a running event loop (Jupyter) the run goes to a worker thread; a keyboard
        interrupt then stops it cleanly and returns what happened so far.
        """
        messages = task_messages(task)
        try:
            asyncio.get_running_loop()
            in_loop = True
        except RuntimeError:
            in_loop = False
        if in_loop:
            from agentnb.core.sync import run_in_thread

            run_in_thread(lambda: self._drain(messages), lambda: self.stop(INTERRUPTED))
        else:
            # The coroutine returns nothing: CPython 3.11's asyncio.run reprs its main task
            # (result included) when restoring the SIGINT handler, costly for a long chat.
            asyncio.run(self._drain(messages))
        assert self.last_result is not None
        return self.last_result

    def stream(self, task: Any = None) -> AsyncIterator[Event]:
        """Yield every event of a run as it happens; the last one is a `Stop`."""
        messages = task_messages(task)
        holder: list[AsyncIterator[Event]] = []
        generator = self._stream(messages, holder)
        holder.append(generator)
        return generator

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
            with contextlib.suppress(RuntimeError):  # a closed loop: nothing left to stop
                loop.call_soon_threadsafe(self._request_stop, reason)

    def reset(self) -> None:
        """Forget the conversation so the next run starts fresh."""
        self._check_idle("reset()")
        self._clear_state()
        self.last_result = None
        for p in self.participants:
            p.reset()
        reset_model = getattr(self._resolved, "reset", None)
        if callable(reset_model):
            reset_model()

    def as_tool(self, name: str | None = None, description: str | None = None) -> Any:
        """This team as a tool an agent can call with a task; each call runs a fresh copy."""
        from agentnb.core.tools import tool

        async def run_team(task: str) -> str:
            clone = self.fork(0)
            result = await clone.run(task)
            return result.final or f"(the team stopped without an answer: {result.stop_reason})"

        return tool(run_team, name=name or self.name, description=description or self.description)

    def context_of(self, name: str) -> AgentContext:
        """The derived context the agent called ``name`` has in this team."""
        memo = self._contexts.get(name)
        if memo is None:
            participant = self.participant(name)
            if not isinstance(participant, Agent):
                raise ValueError(
                    f"{name!r} is a {type(participant).__name__}, not an Agent: it has no model context"
                )
            memo = self._contexts[name] = participant.new_context()
        return memo

    # ----- checkpoints, rewind, fork, save and load -------------------------------------------

    @property
    def checkpoints(self) -> Checkpoints:
        """A checkpoint after every transcript event (0 is the start); see `rewind`, `fork`."""
        return Checkpoints(self)

    def rewind(self, checkpoint: Any) -> None:
        """Return the team to a checkpoint: transcript, turns, stop condition, speakers, plan.

        The events after it are no longer part of this team (a fork made earlier keeps
        them). A run that was going on at that point continues with the next ``run()``;
        ``run(task)`` starts a new one.
        """
        self._check_idle("rewind()")
        k = self._checkpoint_index(checkpoint)
        self.transcript = self.transcript.prefix(k)
        self._snapshots.truncate(k)
        self._restore(k)
        self.last_result = None

    def fork(self, checkpoint: Any = None, *, name: str | None = None) -> Team:
        """An independent team that continues from a checkpoint (default: now); this one is untouched.

        The fork shares the history before the checkpoint (nothing is copied) and gets
        copies of the agents, so changing an agent's role or model in the fork leaves this
        team alone. Nested teams are forked too.
        """
        k = len(self.transcript) if checkpoint is None else self._checkpoint_index(checkpoint)
        clone = self._clone(name)
        clone.transcript = self.transcript.prefix(k)
        clone._snapshots = self._snapshots.fork(k)
        clone._restore(k)
        return clone

    def state(self) -> dict[str, Any]:
        """The team's state as JSON-ready data: its transcript (everything else folds from it)."""
        nested = {p.name: p.state() for p in self.participants if isinstance(p, Team)}
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "name": self.name,
            "mode": self.mode,
            "participants": self.names,
            "config": _saved_config(self._config),
            "transcript": [e.model_dump(mode="json") for e in self.transcript],
            "nested": nested,
        }

    def load_state(self, state: Any) -> None:
        """Put back a state from `state`; the participants' names and the mode must match."""
        self._check_idle("load_state()")
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise CheckpointError("not a saved agentnb team (save one with team.save(path) or team.state())")
        if state.get("version") != STATE_VERSION:
            raise CheckpointError(
                f"this saved team has format version {state.get('version')!r}; "
                f"this agentnb reads version {STATE_VERSION}"
            )
        if state.get("participants") != self.names:
            raise CheckpointError(
                f"the saved team had participants {state.get('participants')}, this one has {self.names}; "
                "build the team with the same participants (agents, tools and models are code, not state)"
            )
        if state.get("mode") != self.mode:
            raise CheckpointError(
                f"the saved team ran in mode {state.get('mode')!r}, this one is {self.mode!r}"
            )
        try:
            events = [event_from_json(json.dumps(e)) for e in state.get("transcript", [])]
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"the saved transcript is damaged: {str(exc)[:300]}") from None
        nested = state.get("nested") or {}
        self._clear_state()
        for event in events:
            self._record(event)
        for p in self.participants:
            if isinstance(p, Team) and p.name in nested:
                p.load_state(nested[p.name])
        self.last_result = None

    def save(self, path: str | Path) -> Path:
        """Write `state` to a JSON file (atomically); `Team.load` reads it back."""
        from agentnb.models.stored import write_json

        path = Path(path)
        try:
            write_json(path, self.state())
        except (OSError, ValueError) as exc:
            raise CheckpointError(
                f"cannot save team {self.name!r} to {path}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        return path

    @classmethod
    def load(cls, path: str | Path, participants: Sequence[Participant], **options: Any) -> Team:
        """A team built from ``participants`` (and ``options``) with the state saved at ``path``.

        Options saved with the team (mode, name, max_turns, text ``until``, edges without
        functions, ...) are used unless given; options that are code (a ``stop`` condition
        object, function edges, an approver) must be passed again.
        """
        path = Path(path)
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CheckpointError(f"cannot read saved team {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise CheckpointError(f"{path} is not a saved agentnb team (not JSON: {exc})") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise CheckpointError(f"{path} is not a saved agentnb team (save one with team.save(path))")
        config = dict(state.get("config") or {})
        if config.get("edges") is not None:
            config["edges"] = [Edge(*edge) for edge in config["edges"]]
        missing = [k for k in config.pop("code", []) if k not in options]
        if missing:
            raise CheckpointError(
                f"team {state.get('name')!r} was saved with {', '.join(missing)} set to objects "
                "(a model, a function or a stop condition): they are code, not state, so they are not saved; "
                f"pass {', '.join(f'{m}=...' for m in missing)} to Team.load"
            )
        team = cls(participants, **{**config, **options})
        team.load_state(state)
        return team

    # ----- used by the speaker policies, graph and plan executors ------------------------------

    def resolved_model(self) -> Model:
        """The team's default model (spec strings and ``None`` resolved once)."""
        if self._resolved is None:
            from agentnb.models import resolve

            self._resolved = resolve(self.model)
        return self._resolved

    def turn_context(self, name: str, **overrides: Any) -> TurnContext:
        participant = self._by_name[name]
        model = None
        memo = None
        if isinstance(participant, Agent):
            model = self._agent_model(participant)
            memo = self.context_of(name)
        elif isinstance(participant, Team) and participant.model is None:
            model = self.resolved_model()
        options: dict[str, Any] = {
            "model": model,
            "extra_tools": self._handoff_tools.get(name, ()),
            "approver": self._approve if self.approver is not None else None,
            "approver_name": self._approver_name,
            "stream_tokens": self.stream_tokens,
            "memo": memo,
            "pace": self._pace,
        }
        options.update(overrides)
        return TurnContext(**options)

    async def _approve(self, agent: str, call: ToolCall) -> tuple[Any, ...]:
        """Ask the approver (sync or async); it answers (approved, comment[, edited arguments])."""
        verdict = self.approver(agent, call)  # type: ignore[misc]
        if asyncio.iscoroutine(verdict) or isinstance(verdict, asyncio.Future):
            verdict = await verdict
        if isinstance(verdict, bool):
            return (verdict, "")
        if not isinstance(verdict, tuple) or not 1 <= len(verdict) <= 3:
            raise ValueError(
                f"approver: expected True/False or (approved, comment[, edited_arguments]), got {verdict!r}"
            )
        return verdict

    def next_turn(self) -> int:
        """The number of the turn about to start (recording its `SpeakerSelected` counts it)."""
        return self._state.turns + 1

    def should_stop(self) -> bool:
        return bool(self._finish_reason or self.condition.reason or self._stop_requested)

    def finish(self, reason: str) -> None:
        if not self._finish_reason:
            self._finish_reason = reason

    # ----- nested teams: a Team is also a participant --------------------------------------

    async def turn(self, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        """Run this team on what the outer conversation said since its last turn."""
        if self.model is None and ctx.model is not None:
            self._resolved = self._resolved or ctx.model
        news: list[TextMessage] = []
        for i in range(len(thread) - 1, -1, -1):
            event = thread[i]
            if isinstance(event, TextMessage) and not event.scope:
                if event.source == self.name:
                    break
                news.append(event)
        news.reverse()
        task = "\n\n".join(e.content if e.source == USER else f"{e.source}: {e.content}" for e in news)
        async for event in self.stream(task or None):
            yield event.model_copy(
                update={"scope": _nest(self.name, event.scope), "step": ctx.step or event.step}
            )
        result = self.last_result
        yield TextMessage(source=self.name, content=(result.final if result else None) or "", step=ctx.step)

    # ----- state ---------------------------------------------------------------------------

    def _clear_state(self) -> None:
        self.transcript = Transcript()
        self._state = RunState()
        self._contexts = {}
        self._policy.reset()
        self.condition.reset()
        self._snapshots = SnapshotStore()
        self._snapshots.put(self._snapshot(0))
        self._finish_reason = ""
        self._stop_requested: str | None = None
        self._pace = Pace()

    def _snapshot(self, index: int) -> Snapshot:
        return Snapshot(index, self._state.copy(), self.condition.snapshot(), self._policy.snapshot())

    def _record(self, event: Event) -> Event:
        """Append an event to the transcript and fold it into the state."""
        if event.__class__ is not TokenDelta:
            self.transcript.append(event)
            index = len(self.transcript)
            self._apply(event, index - 1)
            if index % SNAPSHOT_EVERY == 0:
                self._snapshots.put(self._snapshot(index))
        return event

    def _apply(self, event: Event, index: int) -> None:
        """The fold: how one recorded event changes the state (nothing else changes it)."""
        state = self._state
        if state.run_start is None:
            self._begin_run(index)
        usage = event.__dict__.get("usage")  # (getattr on a pydantic model without it is slow)
        if usage is not None:
            state.prompt_tokens += usage.prompt_tokens
            state.completion_tokens += usage.completion_tokens
        scope = event.scope
        if scope:
            child = scope.split("/", 1)[0]
            state.nested[child] = state.nested.get(child, 0) + 1
        elif event.__class__ is SpeakerSelected:
            state.turns = event.turn  # type: ignore[attr-defined]
            state.open_turn = event.speaker  # type: ignore[attr-defined]
        elif event.__class__ is StepStarted:
            state.turns += 1  # in plan mode every step attempt is a turn
        elif state.open_turn is not None and ends_turn(event):
            state.open_turn = None
        if self.condition.reason is None:
            self.condition(event)
        self._policy.observe(event)
        if event.__class__ is Stop and not scope:
            state.stop_reason = event.reason  # type: ignore[attr-defined]
            state.run_start = None
            state.open_turn = None

    def _begin_run(self, index: int) -> None:
        state = self._state
        state.run_start = index
        state.turns = state.prompt_tokens = state.completion_tokens = 0
        state.stop_reason = ""
        self.condition.reset()
        self._policy.begin_run()

    def _checkpoint_index(self, checkpoint: Any) -> int:
        return check_index(checkpoint, len(self.transcript))

    def _restore(self, k: int) -> None:
        """Make the state the one after the transcript's first ``k`` events (snapshot + fold)."""
        snapshot = self._snapshots.nearest(k)
        assert snapshot is not None
        self._state = snapshot.run.copy()
        self.condition.restore(snapshot.condition)
        self._policy.restore(snapshot.policy)
        for i, event in enumerate(self.transcript[snapshot.index : k], start=snapshot.index):
            self._apply(event, i)
        self._contexts = {}
        self._finish_reason = ""
        self._stop_requested = None
        for p in self.participants:
            if isinstance(p, Team):
                p.rewind(min(self._state.nested.get(p.name, 0), len(p.transcript)))

    def _run_state_at(self, k: int) -> RunState:
        if k == len(self.transcript):
            return self._state.copy()
        probe = self._clone()
        probe.transcript = self.transcript.prefix(k)
        probe._snapshots = self._snapshots.fork(k)
        probe._restore(k)
        return probe._state

    def _clone(self, name: str | None = None) -> Team:
        """A new team with this one's configuration and copies of its participants."""
        participants = []
        for p in self.participants:
            if isinstance(p, Agent):
                participants.append(p.copy())
            elif isinstance(p, Team):
                participants.append(p.fork(min(self._state.nested.get(p.name, 0), len(p.transcript))))
            else:
                participants.append(copy.copy(p))
        config = dict(self._config)
        for key in ("until", "stop"):
            config[key] = copy.deepcopy(config[key])
        if isinstance(config.get("planner"), Agent):
            config["planner"] = config["planner"].copy()
        if name is not None:
            config["name"] = name
        clone = type(self)(participants, **config)
        clone._resolved = self._resolved
        return clone

    def _check_idle(self, what: str) -> None:
        if self._running:
            raise TeamBusyError(f"team {self.name!r} is running; stop it before {what}")

    # ----- running -------------------------------------------------------------------------

    async def _stream(
        self, messages: list[TextMessage], holder: list[AsyncIterator[Event]]
    ) -> AsyncIterator[Event]:
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
        timer: asyncio.TimerHandle | None = None
        listening = False
        run_start = len(self.transcript)
        cleanups = begin_run()
        try:
            self._current_stream = holder[0]
            self._finish_reason = ""
            self._stop_requested = None
            self._pace = Pace()
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            if self._state.run_start is not None and messages:
                # an open run (after a rewind or a load) and a new task: the old run ends here
                self._record(Stop(source=self.name, reason="ended: a new task started"))
            if self._state.run_start is None:
                self._begin_run(len(self.transcript))
            run_start = self._state.run_start  # type: ignore[assignment]
            for external in self.condition.externals():
                external.listeners.append(self.stop)
            listening = True
            timeouts = self.condition.timeouts()
            if timeouts:
                seconds = min(timeouts)
                timer = self._loop.call_later(seconds, self._request_stop, f"timed out after {seconds:g} s")
            async with aclosing(self._produce(messages, run_start)) as events:
                self._inside = True
                async for event in events:
                    self._inside = False
                    yield event
                    self._inside = True
        finally:
            self._inside = False
            if timer is not None:
                timer.cancel()
            if listening:
                for external in self.condition.externals():
                    if self.stop in external.listeners:
                        external.listeners.remove(self.stop)
            if self._state.run_start is not None and run_start == self._state.run_start:
                # the consumer stopped reading (or set-up failed) before the Stop event
                self._record_closing(self._stop_requested or "the consumer stopped reading the stream")
            self.last_result = self._result(run_start)
            try:
                await end_run(cleanups)
            finally:
                self._running = False
                self._task = None
                self._current_stream = None

    def _abandoned_here(self) -> bool:
        """True when the running stream waits at a yield for this very task to read on."""
        try:
            current = asyncio.current_task()
        except RuntimeError:
            return False
        return not self._inside and self._task is current

    def _agent_model(self, agent: Agent) -> Model:
        """The agent's own model (resolved once per value), or the team's."""
        if agent.model is None:
            return self.resolved_model()
        cached = self._agent_models.get(agent.name)
        if cached is None or cached[0] is not agent.model:
            from agentnb.models import resolve

            cached = self._agent_models[agent.name] = (agent.model, resolve(agent.model))
        return cached[1]

    def _request_stop(self, reason: str) -> None:
        if not self._running or self._stop_requested:
            return
        self._stop_requested = reason
        task = self._task
        if self._inside and task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()

    async def _produce(self, messages: list[TextMessage], run_start: int) -> AsyncIterator[Event]:
        error: BaseException | None = None
        reason = ""
        try:
            for message in messages:
                yield self._record(message)
            if self.mode in ("sequential", "graph"):
                events = run_graph(self, self._policy)
            elif self.mode == "plan":
                from agentnb.core.planning import run_plan

                events = run_plan(self, self._policy)
            else:
                events = self._conversation()
            async with aclosing(events) as stream:
                async for event in stream:
                    yield self._record(event)
                    if self._stop_requested:
                        break
        except asyncio.CancelledError:
            if self._stop_requested is None:
                reason = _cancel_reason()
                self._record_closing(reason)
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except Exception as exc:
            error = exc
            reason = f"error: {exc}"
        reason = reason or self._stop_requested or self._finish_reason or self.condition.reason or "finished"
        for result in self._dangling_results(reason):
            yield self._record(result)
        yield self._record(Stop(source=self.name, reason=reason, failed=error is not None))
        if error is not None:
            raise _run_error(self.name, error, self._result(run_start))

    def _record_closing(self, reason: str) -> None:
        for result in self._dangling_results(reason):
            self._record(result)
        self._record(Stop(source=self.name, reason=reason))

    async def _conversation(self) -> AsyncIterator[Event]:
        while True:
            if self.should_stop():
                return
            speaker = self._state.open_turn  # a turn cut off at a checkpoint goes on first
            if speaker is None:
                choice = await self._policy.next(self)
                speaker = choice.speaker
                yield SpeakerSelected(
                    source=self.name,
                    speaker=speaker,
                    turn=self.next_turn(),
                    reason=choice.reason,
                    usage=choice.usage,
                    model=choice.model,
                    started_at=choice.started_at,
                )
            participant = self._by_name[speaker]
            async with aclosing(participant.turn(self.transcript, self.turn_context(speaker))) as turn:
                async for event in turn:
                    if event.__class__ is Stop and not event.scope:
                        self.finish(event.reason)  # type: ignore[attr-defined]
                        return
                    yield event
                    if self._stop_requested:
                        return

    def _dangling_results(self, reason: str) -> list[ToolResult]:
        """Tool calls cut off by a stop get an error result, so the chat stays well formed."""
        start = self._state.run_start or 0
        events = self.transcript[start:]
        answered = {e.call_id for e in events if isinstance(e, ToolResult)}
        missing: list[ToolResult] = []
        for event in events:
            if isinstance(event, ToolCalls):
                for call in event.calls:
                    if call.id not in answered:
                        missing.append(
                            ToolResult(
                                source=event.source,
                                scope=event.scope,
                                step=event.step,
                                call_id=call.id,
                                name=call.name,
                                is_error=True,
                                content=f"Error: cancelled because the run stopped ({reason}).",
                            )
                        )
        return missing

    def _result(self, run_start: int) -> TeamResult:
        """The result of the run that began at ``run_start`` (never raises)."""
        events = self.transcript[run_start:]
        final = None
        output = None
        for event in reversed(events):
            if isinstance(event, TextMessage) and not event.scope and event.source != USER:
                final = event.content
                output = _output_of(event, self._by_name.get(event.source))
                break
        tasks = [e.content for e in events if isinstance(e, TextMessage) and e.source == USER and not e.scope]
        prompt = completion = turns = 0
        stop_reason = ""
        for event in events:
            u = event.__dict__.get("usage")
            if u is not None:
                prompt += u.prompt_tokens
                completion += u.completion_tokens
            if not event.scope:
                if event.__class__ is SpeakerSelected:
                    turns = event.turn  # type: ignore[attr-defined]
                elif event.__class__ is StepStarted:
                    turns += 1
                elif event.__class__ is Stop:
                    stop_reason = event.reason  # type: ignore[attr-defined]
        return TeamResult(
            task="\n\n".join(tasks) if tasks else None,
            messages=events,
            final=final,
            output=output,
            usage=Usage(prompt_tokens=prompt, completion_tokens=completion),
            stop_reason=stop_reason,
            turns=turns,
            participants=list(self.names),
            start=run_start,
        )

    async def _drain(self, messages: list[TextMessage]) -> None:
        async for _ in self._stream(messages, [None]):  # type: ignore[list-item]
            pass

    async def _run(self, messages: list[TextMessage]) -> TeamResult:
        try:
            await self._drain(messages)
        except asyncio.CancelledError:
            result = self.last_result
            why = result.stop_reason if result is not None else "cancelled"
            raise RunInterrupted(
                f"team {self.name!r}: {why}; the transcript so far is in team.last_result"
            ) from None
        assert self.last_result is not None
        return self.last_result


def _nest(name: str, scope: str) -> str:
    return f"{name}/{scope}" if scope else name


def _output_of(event: TextMessage, participant: Any) -> Any:
    """The validated object behind a structured reply (validated from its JSON data)."""
    output_type = getattr(participant, "output_type", None)
    return parse_data(output_type, event.data) if output_type is not None else None


def _run_error(team: str, error: BaseException, result: TeamResult) -> RunError:
    """The error a failed run raises: the run's own error when it is one, with the result attached."""
    if isinstance(error, RunError):
        error.result = result
        return error
    if isinstance(error, AgentnbError | ModelError):
        wrapped = RunError(f"team {team!r} stopped with an error: {error}", result)
    else:
        wrapped = RunError(f"team {team!r} stopped with an error: {type(error).__name__}: {error}", result)
    wrapped.__cause__ = error
    return wrapped


def _cancel_reason() -> str:
    """Why a run was cancelled: a notebook's interrupt, or code that cancelled the task."""
    task = asyncio.current_task()
    coro = task.get_coro() if task is not None else None
    if "ipykernel" in sys.modules and "run_cell" in getattr(coro, "__qualname__", ""):
        return INTERRUPTED
    return "cancelled"


def _saved_config(config: dict[str, Any]) -> dict[str, Any]:
    """The options that can be saved as data; ``code`` lists those that must be passed again."""
    saved: dict[str, Any] = {}
    code: list[str] = []
    for key, value in config.items():
        if value is None or isinstance(value, bool | int | float | str):
            saved[key] = value
        elif key == "edges":
            edges = [Edge(*e) if isinstance(e, tuple) else e for e in value]
            if all(e.condition is None or isinstance(e.condition, str | dict) for e in edges):
                saved[key] = [[e.source, e.target, e.condition, e.join] for e in edges]
            else:
                code.append(key)
        else:
            code.append(key)
    saved["code"] = code
    return saved
