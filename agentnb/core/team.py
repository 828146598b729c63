"""Team: participants, a mode that decides who speaks, a stop condition — and the public API.

A team is configuration plus its history (the transcript and the state folded from it,
`agentnb.core.state`). One execution is a `Run` (`agentnb.core.run`), driven by the one
executor; `Team.stream` yields its events, `Team.run` and `Team.run_sync` return its
`TeamResult`. The transcript lives on the team, so a run can be continued with a follow-up
task, rewound, forked, saved and loaded, and nothing is lost when a run is stopped,
interrupted or fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from agentnb.core import durable, plugins, waiting
from agentnb.core.agent import Agent, check_model, check_name
from agentnb.core.calls import LATER
from agentnb.core.context import AgentContext
from agentnb.core.errors import (
    ConfigError,
    RunInterrupted,
    SavedFileError,
    TeamBusyError,
    UnknownParticipantError,
)
from agentnb.core.events import USER, Event, TextMessage, ToolCall, Usage
from agentnb.core.human import Human
from agentnb.core.lifecycle import Pace
from agentnb.core.model import Model
from agentnb.core.modes import Mode, mode_from
from agentnb.core.modes.base import Start
from agentnb.core.preview import ContextPreview
from agentnb.core.result import PendingRun, TeamResult
from agentnb.core.run import INTERRUPTED, Run
from agentnb.core.saved import read_json, write_json
from agentnb.core.secrets import scrub_state
from agentnb.core.state import Checkpoints, Fold, History, check_index
from agentnb.core.stop import StopCondition, build_condition, names
from agentnb.core.team_state import TeamState, check_state, config_for_load, load_error, state_data
from agentnb.core.turn import TurnContext

MODE_OPTIONS = (
    "edges", "selector_prompt", "selector_func", "candidate_func", "allow_repeated_speaker",
    "planner", "max_replans", "step_retries", "max_parallel",
)  # fmt: skip


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
            if not isinstance(item, str | TextMessage):
                raise TypeError(
                    "task: a list of messages may hold text and TextMessage objects, "
                    f"got {type(item).__name__}"
                )
            out.extend(task_messages(item))
        return out
    raise TypeError(
        f"task: expected text, a TextMessage or a list of them (or None to continue), got "
        f"{type(task).__name__} {task!r:.60}"
    )


def check_participants(participants: Any) -> list[Any]:
    if (
        isinstance(participants, str)
        or not isinstance(participants, Sequence)
        or hasattr(participants, "turn")
    ):
        shown = getattr(participants, "name", None)
        hint = f"; write Team([{shown}])" if shown else ""
        raise ConfigError(
            f"participants: expected a list of agents, humans or teams, got {participants!r}{hint}"
        )
    out = list(participants)
    if not out:
        raise ConfigError("participants: a team needs at least one participant (Agent, Human or Team)")
    for p in out:
        if not (callable(getattr(p, "turn", None)) and isinstance(getattr(p, "name", None), str)):
            raise ConfigError(f"participants: {p!r} is not an Agent, Human or Team")
    seen = [p.name for p in out]
    duplicates = sorted({n for n in seen if seen.count(n) > 1})
    if duplicates:
        raise ConfigError(f"participants: the name {duplicates[0]!r} is used twice; names must be unique")
    return out


class Team:
    """Participants that take turns until a stop condition is met.

    ``mode`` decides who speaks: a mode object (`agentnb.modes`: ``RoundRobin()``,
    ``Selector(...)``, ``Handoff()``, ``Sequential()``, ``Graph(edges)``, ``Plan(planner)``)
    or its name ("round_robin", "selector", "handoff", "sequential", "graph", "plan"), with
    that mode's options given here (``edges``, ``selector_prompt``, ``planner``, ...). A
    run stops after ``max_turns`` turns, when a reply contains ``until`` text, or when
    ``stop`` (a `StopCondition`) is met. ``interrupt_before`` names participants the team
    pauses before (``run()`` goes on with them). ``approver`` decides tool calls that need
    approval (default: the team's `Human`); ``approver="later"``: a person decides later, the
    run waits for them (`pending`, `approve`, `reject`, `answer`). ``store`` (a SQLite file, a
    ``postgresql://`` URL or a store) writes every run as it happens, as ``run_id`` (default: a
    new id); ``Team.resume`` goes on with it, in this process or another.
    """

    def __init__(
        self,
        participants: Sequence[Any],
        mode: str | Mode = "round_robin",
        *,
        name: str = "team",
        description: str = "",
        until: str | StopCondition | None = None,
        max_turns: int = 20,
        stop: StopCondition | None = None,
        model: Model | str | None = None,
        approver: Callable[[str, ToolCall], Any] | str | None = None,
        stream_tokens: bool = True,
        interrupt_before: str | Sequence[str] | None = None,
        store: Any = None,
        run_id: str | None = None,
        **mode_options: Any,
    ) -> None:
        unknown = sorted(set(mode_options) - set(MODE_OPTIONS))
        if unknown:
            raise ConfigError(
                f"Team: unknown option {unknown[0]!r}; mode options are: {', '.join(MODE_OPTIONS)}"
            )
        self.participants = check_participants(participants)
        self.name = check_name(name)
        self.names = [p.name for p in self.participants]
        self._by_name = dict(zip(self.names, self.participants, strict=True))
        self.description = description or f"A team of {', '.join(self.names)}."
        if isinstance(mode, Mode):
            if any(v is not None and v is not False for v in mode_options.values()):
                raise ConfigError("mode: give a mode's options to the mode object, e.g. modes.Graph(edges)")
            self.mode_object = mode
        elif isinstance(mode, str):
            self.mode_object = mode_from(mode, mode_options)
        else:
            raise ConfigError(
                f"mode: expected a mode name such as 'round_robin' or a mode object, got {mode!r}"
            )
        self.mode_object.bind(self.names, self.participants)
        condition = build_condition(until, stop, max_turns)
        self.max_turns = max_turns
        self.model = check_model(model)
        self.stream_tokens = bool(stream_tokens)
        self.interrupt_before = names(interrupt_before, "interrupt_before") if interrupt_before else []
        for who in self.interrupt_before:
            self.participant(who)
        if approver is not None and not callable(approver) and approver != LATER:
            raise ConfigError(
                f"approver: expected a function (agent, call) -> True/False, or 'later' (a person "
                f"decides later: the run waits), got {approver!r}"
            )
        humans = [p for p in self.participants if isinstance(p, Human)]
        self.approver = approver or (humans[0].approve if humans else None)
        self.approver_name = humans[0].name if humans and approver is None else "approver"
        if self.mode_object.concurrent and (approver == LATER or any(h.answers_later for h in humans)):
            raise ConfigError(
                f"approver: a run that waits for a person (approver='later', input_fn='later') goes on "
                f"one speaker at a time; mode {self.mode!r} runs turns at once: use round_robin, selector "
                "or handoff"
            )
        self._check_approvals()
        self._config = {
            "mode": mode, "name": name, "description": description, "until": until, "max_turns": max_turns,
            "stop": stop, "model": model, "approver": approver, "stream_tokens": stream_tokens,
            "interrupt_before": self.interrupt_before or None, **mode_options,
        }  # fmt: skip
        self.history = History(Fold(condition, self.mode_object))
        if store is not None:  # a durable team: its runs are written as they happen
            durable.attach(self.history, store, run_id, self._stored_form)
        elif run_id is not None:
            raise ConfigError("run_id: names the team's run in a store; give store= too")
        self.last_result: TeamResult | None = None
        self._resolved: Model | None = None
        self._outer_model: Callable[[], Model] | None = None
        self._agent_models: dict[str, tuple[object, Model]] = {}
        self._contexts: dict[str, AgentContext] = {}
        self._lock = threading.Lock()
        self._run: Run | None = None
        self._stream: Any = None

    def _check_approvals(self) -> None:
        for p in self.participants:
            for t in getattr(p, "tools", ()):
                if t.requires_approval and self.approver is None:
                    raise ConfigError(
                        f"participants: {p.name!r}'s tool {t.name!r} requires approval, but the team "
                        "has no Human and no approver= function"
                    )

    def __repr__(self) -> str:
        return f"Team({self.name!r}, mode={self.mode!r}, participants={self.names})"

    @property
    def mode(self) -> str:
        """The mode's name ("round_robin", "graph", ...); the mode itself is ``mode_object``."""
        return self.mode_object.name

    @property
    def condition(self) -> StopCondition:
        """When a run stops (``max_turns`` | ``until`` | ``stop``, composed)."""
        return self.history.fold.condition

    @condition.setter
    def condition(self, value: StopCondition) -> None:
        """A new stop condition: the history is folded again with it (a run's progress stays true)."""
        self._check_idle("changing its stop condition")
        if not isinstance(value, StopCondition):
            raise ConfigError(f"condition: expected a stop condition such as MaxTurns(5), got {value!r}")
        history = History(Fold(value, self.mode_object))
        for event in self.transcript:
            history.record(event)
        durable.keep(self.history, history)  # a stored run goes on in the store
        self.history = history

    @property
    def busy(self) -> bool:
        """True while a run of this team is going on (another run would be refused)."""
        return self._run is not None

    @property
    def transcript(self) -> Any:
        """Every event the team has recorded, in order (append-only; shared with forks)."""
        return self.history.transcript

    def participant(self, name: str) -> Any:
        """The participant called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownParticipantError(
                f"team {self.name!r} has no participant {name!r}; "
                f"its participants are: {', '.join(self.names)}"
            ) from None

    # ----- running -------------------------------------------------------------------------

    def run(self, task: Any = None) -> PendingRun:
        """Run the team on ``task`` (or go on without a new message); await the result."""
        return PendingRun(self._run_to_end(task_messages(task)), self.name)

    def run_sync(self, task: Any = None) -> TeamResult:
        """Run to the end from synchronous code: a script, or a Jupyter cell without ``await``.

        Inside a running event loop (Jupyter) the run goes to a worker thread; a keyboard
        interrupt then stops it cleanly and returns what happened so far.
        """
        messages = task_messages(task)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # Nothing is returned: CPython 3.11's asyncio.run reprs its main task's result.
            asyncio.run(self._drain(messages))
        else:
            from agentnb.core.sync import run_in_thread

            run_in_thread(lambda: self._drain(messages), lambda: self.stop(INTERRUPTED))
        assert self.last_result is not None
        return self.last_result

    def stream(self, task: Any = None) -> AsyncIterator[Event]:
        """Yield every event of a run as it happens; the last one is a `Stop`."""
        run = Run(self, task_messages(task))
        stream = run.events()
        run.stream = stream  # type: ignore[attr-defined]
        return stream

    def stop(self, reason: str = "stopped by the user") -> None:
        """End the current run now, cancelling a model or tool call in flight (what streamed is kept).

        Safe to call from any task or thread; does nothing when the team is not running.
        """
        run = self._run
        if run is not None:
            run.request_stop_threadsafe(reason)

    def pause(self, reason: str = "paused by the user") -> None:
        """End the current run once the turn in flight is over; ``resume()`` goes on from there."""
        run = self._run
        if run is not None and run.loop is not None:
            run.loop.call_soon_threadsafe(run.finish, reason)

    @durable.either
    def resume(self: Any, *args: Any, **options: Any) -> Any:
        """``team.resume()``: go on from where the last run stopped (``run()`` with no task).

        ``Team.resume(store, run_id, participants, **options)``: the team of a stored run, built
        from ``participants`` and the options saved with the run (those given here win), ready
        to go on where it stopped — after a kernel restart, a crash, or in another process.
        """
        if isinstance(self, Team):
            if args or options:
                raise ConfigError(
                    "team.resume() goes on with this team; to go on with a stored run, call "
                    "Team.resume(store, run_id, participants) on the class"
                )
            return self.run()
        return durable.resume(self, *args, **options)

    async def claim(self, run: Run) -> None:
        """Make ``run`` the team's run (an abandoned stream of this task is closed first)."""
        current = self._run
        if current is not None and not current.inside and current.worker is asyncio.current_task():
            await current.stream.aclose()  # type: ignore[attr-defined]
        with self._lock:
            if self._run is not None:
                raise TeamBusyError(
                    f"team {self.name!r} is already running a task; await that run, or call "
                    "team.stop() first (one team cannot run twice at the same time)"
                )
            self._run = run

    def release(self, run: Run) -> None:
        with self._lock:
            if self._run is run:
                self._run = None

    async def _drain(self, messages: list[TextMessage]) -> None:
        async for _ in Run(self, messages).events():
            pass

    async def _run_to_end(self, messages: list[TextMessage]) -> TeamResult:
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

    def _check_idle(self, what: str) -> None:
        if self._run is not None:
            raise TeamBusyError(f"team {self.name!r} is running; stop it before {what}")

    def reset(self) -> None:
        """Forget the conversation so the next run starts fresh."""
        self._check_idle("reset()")
        self.history = self.history.prefix(0)  # stored: a new run
        self._contexts = {}
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
            result = await self.fork(0).run(task)
            return result.final or f"(the team stopped without an answer: {result.stop_reason})"

        return tool(run_team, name=name or self.name, description=description or self.description)

    # ----- models and turns ----------------------------------------------------------------

    def resolved_model(self) -> Model:
        """The team's default model (a spec or ``None`` resolved once, on first use)."""
        if self._resolved is None:
            outer = self._outer_model
            self._resolved = (
                outer() if self.model is None and outer is not None else plugins.resolve_model(self.model)
            )
        return self._resolved

    def model_for(self, agent: Any) -> Model:
        """The agent's own model (resolved once per value), or the team's."""
        if agent.model is None:
            return self.resolved_model()
        cached = self._agent_models.get(agent.name)
        if cached is None or cached[0] is not agent.model:
            cached = self._agent_models[agent.name] = (agent.model, plugins.resolve_model(agent.model))
        return cached[1]

    def context_of(self, name: str) -> AgentContext:
        """The derived context the agent called ``name`` has in this team."""
        memo = self._contexts.get(name)
        if memo is None:
            participant = self.participant(name)
            if not isinstance(participant, Agent):
                raise ConfigError(
                    f"{name!r} is a {type(participant).__name__}, not an Agent: it has no model context"
                )
            memo = self._contexts[name] = participant.new_context()
        return memo

    def context_preview(self, name: str, at: Any = None) -> ContextPreview:
        """Exactly what agent ``name``'s next model call would receive (at checkpoint ``at``:
        what it would have received there), and what its context policy cut. No team is built."""
        agent = self.participant(name)
        if not isinstance(agent, Agent):
            raise ConfigError(f"{name!r} is a {type(agent).__name__}, not an Agent: it has no model context")
        if at is None:
            memo = self.context_of(name)
            memo.update(self.transcript)
        else:
            memo = agent.new_context()
            memo.update(self.transcript.prefix(check_index(at, len(self.transcript))))
        return agent.preview_of(memo)

    def turn_context(self, start: Start, pace: Pace, resume: bool) -> TurnContext:
        """What a participant gets for one turn: its model and context, tools, approval."""
        participant = start.participant
        memo, model, fallback = start.memo, None, None
        if isinstance(participant, Agent):
            model = self.model_for(participant)
            if memo is None:
                memo = self.context_of(participant.name)
        elif isinstance(participant, Team) and participant.model is None:
            fallback = self.resolved_model
        return TurnContext(
            model=model,
            extra_tools=self.mode_object.extra_tools(participant.name),
            approver=self._approve if self.approver is not None else None,
            approver_name=self.approver_name,
            stream_tokens=self.stream_tokens,
            memo=memo,
            output_type=start.output_type,
            step=start.step,
            pace=pace,
            resume=resume,
            fallback=fallback,
        )

    async def _approve(self, agent: str, call: ToolCall) -> Any:
        """Ask the approver (sync or async); `agentnb.core.calls.decision` checks the answer."""
        if self.approver == LATER:
            return LATER
        verdict = self.approver(agent, call)  # type: ignore[misc,operator]
        if asyncio.iscoroutine(verdict) or isinstance(verdict, asyncio.Future):
            verdict = await verdict
        return verdict

    # ----- time travel: checkpoints, rewind, fork ------------------------------------------

    @property
    def checkpoints(self) -> Checkpoints:
        """A checkpoint after every transcript event (0 is the start); see `rewind`, `fork`."""
        return Checkpoints(self.history, f"team {self.name!r}")

    def rewind(self, checkpoint: Any) -> None:
        """Return the team to a checkpoint: transcript, turns, stop condition, speakers, plan.

        The events after it are no longer part of this team (a fork made earlier keeps them).
        A run that was going on at that point goes on with the next ``run()``; ``run(task)``
        starts a new one.
        """
        self._check_idle("rewind()")
        k = check_index(checkpoint, len(self.transcript))
        self._set_history(self.history.prefix(k))
        self.last_result = None

    def fork(self, checkpoint: Any = None, *, name: str | None = None) -> Team:
        """An independent team that goes on from a checkpoint (default: now); this one is untouched.

        The fork shares the history before the checkpoint (nothing is copied) and gets
        copies of the agents, so changing an agent's role or model in the fork leaves this
        team alone. Nested teams are forked too.
        """
        k = len(self.transcript) if checkpoint is None else check_index(checkpoint, len(self.transcript))
        state = self.history.state_at(k)
        participants = []
        for p in self.participants:
            if isinstance(p, Agent):
                participants.append(p.copy())
            elif isinstance(p, Team):
                participants.append(p.fork(min(state.nested_count(p.name), len(p.transcript))))
            else:
                participants.append(p)
        config = {**self._config, "name": name or self.name}
        if isinstance(config.get("planner"), Agent):
            config["planner"] = config["planner"].copy()
        clone = Team(participants, **config)
        clone._resolved = self._resolved
        clone._outer_model = self._outer_model
        clone.history = self.history.prefix(k, clone.history.fold)
        durable.describe(clone.history, clone._stored_form)  # stored: a new run, of the fork
        return clone

    def _set_history(self, history: History) -> None:
        self.history = history
        self._contexts = {}
        state = history.state
        for p in self.participants:
            if isinstance(p, Team):
                p.rewind(min(state.nested_count(p.name), len(p.transcript)))

    # ----- state as a value, save and load -------------------------------------------------

    def state(self) -> TeamState:
        """The team's state now: who runs next, whether a run is open, what it cost (and its
        saved form, ``to_dict()``)."""
        state = self.history.state
        following = (state.open_turn,) if state.open_turn else self.mode_object.peek(state.mode, self.names)
        nested = {p.name: p.state().to_dict() for p in self.participants if isinstance(p, Team)}
        return TeamState(
            name=self.name,
            mode=self.mode,
            events=len(self.transcript),
            turns=state.turns,
            usage=Usage(prompt_tokens=state.prompt_tokens, completion_tokens=state.completion_tokens),
            stop_reason=state.stop_reason,
            running=state.running,
            next=tuple(following),
            waiting=state.waiting,
            values=state.mode,
            data=state_data(self.name, self.mode, self.names, self._saveable(), self.transcript, nested),
        )

    def _saveable(self) -> dict[str, Any]:
        """The options as given, with a mode object that has no options saved by its name."""
        config = dict(self._config)
        mode = config["mode"]
        if isinstance(mode, Mode) and mode.describe() in ("RoundRobin()", "Handoff()", "Sequential()"):
            config["mode"] = mode.name
        return config

    def load_state(self, state: TeamState | dict[str, Any], *, where: str = "the saved state") -> None:
        """Put back a state from `state` (or its saved form); the participants and mode must match."""
        self._check_idle("load_state()")
        data = state.to_dict() if isinstance(state, TeamState) else state
        events = check_state(data, where, self.names, self.mode)
        history = self.history.prefix(0)  # stored: the loaded events are a new run
        for event in events:
            history.record(event)
        self._set_history(history)
        nested = data.get("nested") or {}
        for p in self.participants:
            if isinstance(p, Team) and p.name in nested:
                p.load_state(nested[p.name], where=f"{where} (nested team {p.name!r})")
        self.last_result = None

    def save(self, path: str | Path) -> Path:
        """Write `state` to a JSON file (atomically); `Team.load` reads it back."""
        path = Path(path)
        try:
            return write_json(path, scrub_state(self.state().to_dict()))
        except (OSError, ValueError) as exc:
            raise SavedFileError(
                f"cannot save team {self.name!r} to {path}: {getattr(exc, 'strerror', None) or exc}"
            ) from None

    @classmethod
    def load(cls, path: str | Path, participants: Sequence[Any], **options: Any) -> Team:
        """A team built from ``participants`` (and ``options``) with the state saved at ``path``.

        Options saved with the team (mode, name, max_turns, text ``until``, edges without
        functions, ...) are used unless given; options that are code (a ``stop`` condition
        object, function edges, an approver) must be passed again. A saved model naming a
        server is used only if you pass ``model=`` or confirm it with ``allow_servers=[url]``.
        """
        where = str(path)
        data = read_json(path, "team", {1})
        config = config_for_load(data, where, options)
        try:
            team = cls(participants, **config)
        except (ValueError, TypeError) as exc:
            raise load_error(where, exc) from None
        team.load_state(data, where=where)
        return team

    # ----- durable runs, and people who decide later (agentnb.core.durable, .waiting) ---------

    @property
    def run_id(self) -> str | None:
        """The id of the team's run in its store (None: the team has no store)."""
        writer = self.history.sink
        return getattr(writer, "run_id", None)

    def _stored_form(self) -> dict[str, Any]:
        """What a store keeps with each run of this team: its saved form, without events."""
        return state_data(self.name, self.mode, self.names, self._saveable(), (), {})

    def pending(self) -> list[waiting.Pending]:
        """What the team waits for: approvals of tool calls, or a person's answer (see ``approve``)."""
        return waiting.pending(self.transcript, self.history.state, self.participant, self.approver_name)

    def approve(self, call_id: str, *, edit: Any = None, comment: str = "") -> None:
        """Approve a waiting tool call (``edit``: arguments to change); ``run()`` then runs it."""
        self._decide(waiting.approval(self.pending(), call_id, True, comment, edit))

    def reject(self, call_id: str, reason: str = "") -> None:
        """Reject a waiting tool call; ``run()`` gives the agent the rejection and ``reason``."""
        self._decide(waiting.approval(self.pending(), call_id, False, reason, None))

    def answer(self, human: str, text: str) -> None:
        """Give the waiting person's answer (their turn); ``run()`` goes on from it."""
        self._decide(waiting.answer(self.pending(), human, text))

    def _decide(self, event: Event) -> None:
        self._check_idle("deciding")
        durable.record_now(self.history, event)

    # ----- a Team is also a participant ----------------------------------------------------

    def turn(self, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        """Run this team on what the outer conversation said since its last turn."""
        return self._nested_turn(thread, ctx)

    async def _nested_turn(self, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        if self.model is None and ctx.fallback is not None:
            self._outer_model = ctx.fallback
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
            scope = f"{self.name}/{event.scope}" if event.scope else self.name
            yield dataclasses.replace(event, scope=scope, step=ctx.step or event.step)
        result = self.last_result
        yield TextMessage(source=self.name, content=(result.final if result else None) or "", step=ctx.step)
