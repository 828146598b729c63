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
import copy
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentnb.core import durable, plugins
from agentnb.core.agent import Agent, check_model, check_name
from agentnb.core.context import AgentContext
from agentnb.core.errors import (
    ConfigError,
    RunInterrupted,
    UnknownParticipantError,
)
from agentnb.core.events import Event, TextMessage, ToolCall
from agentnb.core.model import Model
from agentnb.core.modes import Mode, mode_from
from agentnb.core.nesting import nested_turn, team_tool
from agentnb.core.participants import approver_for, check_participants, task_messages
from agentnb.core.preview import ContextPreview
from agentnb.core.result import PendingRun, TeamResult
from agentnb.core.run import Run
from agentnb.core.run_end import INTERRUPTED
from agentnb.core.slot import RunSlot
from agentnb.core.state import Checkpoints, Fold, History, check_index
from agentnb.core.stop import StopCondition, build_condition, names
from agentnb.core.sync import run_to_end
from agentnb.core.team_durable import DurableRuns
from agentnb.core.turn import TurnContext

if TYPE_CHECKING:
    from agentnb.core.team_state import TeamState

MODE_OPTIONS = (
    "edges", "selector_prompt", "selector_func", "candidate_func", "allow_repeated_speaker",
    "planner", "max_replans", "step_retries", "max_parallel",
)  # fmt: skip


class Team(DurableRuns):
    """Participants that take turns until a stop condition is met.

    ``mode`` decides who speaks: a mode object (`agentnb.modes`: ``RoundRobin()``,
    ``Selector(...)``, ``Handoff()``, ``Sequential()``, ``Graph(edges)``, ``Plan(planner)``)
    or its name ("round_robin", "selector", "handoff", "sequential", "graph", "plan"), with
    that mode's options given here (``edges``, ``selector_prompt``, ``planner``, ...). A
    run stops after ``max_turns`` turns, when a reply contains ``until`` text, or when
    ``stop`` (a `StopCondition`) is met. ``interrupt_before`` names participants the team
    pauses before (``run()`` goes on with them). ``approver`` decides tool calls that need
    approval (default: the team's `Human`; "later": a person, later). ``store``: see `DurableRuns`.
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
            self.mode_object = copy.copy(mode)  # bound to this team's participants: one copy per team
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
        self.approver, self.approver_name = approver_for(self.participants, approver, self.mode_object)
        self._config = {
            "mode": mode, "name": name, "description": description, "until": until, "max_turns": max_turns,
            "stop": stop, "model": model, "approver": approver, "stream_tokens": stream_tokens,
            "interrupt_before": self.interrupt_before or None, **mode_options,
        }  # fmt: skip
        self.history = durable.attach(self, History(Fold(condition, self.mode_object)), store, run_id)
        self.last_result: TeamResult | None = None
        self._resolved: Model | None = None
        self._outer_model: Callable[[], Model] | None = None
        self._agent_models: dict[str, tuple[object, Model]] = {}
        self._contexts: dict[str, AgentContext] = {}
        self.slot = RunSlot(self.name)

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
        self.slot.check_idle("changing its stop condition")
        if not isinstance(value, StopCondition):
            raise ConfigError(f"condition: expected a stop condition such as MaxTurns(5), got {value!r}")
        history = History(Fold(value, self.mode_object))
        for event in self.transcript:
            history.record(event)
        self.history = durable.keep(self.history, history)  # a stored run goes on in the store

    @property
    def busy(self) -> bool:
        """True while a run of this team is going on (another run would be refused)."""
        return self.slot.run is not None

    @property
    def transcript(self) -> Any:
        """Every event the team has recorded, in order (append-only; shared with forks)."""
        return self.history.transcript

    def diagram(self) -> Any:
        """A picture of the team's shape: its participants in their chat colours, and who may speak
        after whom (drawn by the views as SVG; shown in a notebook, printed as text)."""
        return plugins.render(self, "view")

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
        # Nothing is returned from the coroutine: CPython 3.11's asyncio.run reprs its result.
        run_to_end(lambda: self._drain(messages), lambda: self.stop(INTERRUPTED))
        assert self.last_result is not None
        return self.last_result

    def stream(self, task: Any = None) -> AsyncIterator[Event]:
        """Yield every event of a run as it happens; the last one is a `Stop`."""
        return Run(self, task_messages(task)).open()

    def stop(self, reason: str = "stopped by the user") -> None:
        """End the current run now, cancelling a model or tool call in flight (what streamed is kept).

        Safe to call from any task or thread; does nothing when the team is not running.
        """
        self.slot.stop(reason)

    def pause(self, reason: str = "paused by the user") -> None:
        """End the current run once the turn in flight is over; ``resume()`` goes on from there."""
        self.slot.pause(reason)

    async def _drain(self, messages: list[TextMessage]) -> None:
        async for _ in Run(self, messages).open(read=False):
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

    def reset(self) -> None:
        """Forget the conversation so the next run starts fresh."""
        self.slot.check_idle("reset()")
        self.history = self.history.prefix(0)  # stored: a new run
        self._contexts = {}
        self.last_result = None
        for p in self.participants:
            p.reset()
        reset_model = getattr(self._resolved, "reset", None)
        if callable(reset_model):
            reset_model()

    def as_tool(self, name: str | None = None, description: str | None = None) -> Any:
        """This team as a tool an agent can call with a task; each call runs a fresh copy, whose
        events are recorded in the calling run under the tool's name (traces and costs see them)."""
        return team_tool(self, name or self.name, description or self.description)

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
        self.slot.check_idle("rewind()")
        k = check_index(checkpoint, len(self.transcript))
        self.replace_history(self.history.prefix(k))
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
        config = {**self.options, "name": name or self.name}
        if isinstance(config.get("planner"), Agent):
            config["planner"] = config["planner"].copy()
        clone = Team(participants, **config)
        clone._resolved = self._resolved
        clone._outer_model = self._outer_model
        clone.history = durable.describe(self.history.prefix(k, clone.history.fold), clone)  # stored: own run
        return clone

    def _nested(self) -> list[Team]:
        return [p for p in self.participants if isinstance(p, Team)]

    def replace_history(self, history: History) -> None:
        """Put ``history`` in place (a rewind, a load): contexts are rebuilt, nested teams follow."""
        self.history = history
        self._contexts = {}
        state = history.state
        for p in self.participants:
            if isinstance(p, Team):
                p.rewind(min(state.nested_count(p.name), len(p.transcript)))

    # ----- state as a value, save and load -------------------------------------------------

    @property
    def options(self) -> dict[str, Any]:
        """The options the team was built with (a copy): what `save` keeps and `fork` reuses."""
        return dict(self._config)

    def state(self) -> TeamState:
        """The team's state now: who runs next, whether a run is open, what it cost (and its
        saved form, ``to_dict()``)."""
        from agentnb.core import team_state  # loaded when used: saving brings JSON and secrets

        return team_state.state_of(self, self._nested())

    def load_state(self, state: TeamState | dict[str, Any], *, where: str = "the saved state") -> None:
        """Put back a state from `state` (or its saved form); the participants and mode must match."""
        self.slot.check_idle("load_state()")
        from agentnb.core import team_state

        team_state.restore(self, state, where, self._nested())
        self.last_result = None

    def save(self, path: str | Path) -> Path:
        """Write `state` to a JSON file (atomically, secrets scrubbed); `Team.load` reads it back."""
        from agentnb.core import team_state

        return team_state.save(self, path)

    @classmethod
    def load(cls, path: str | Path, participants: Sequence[Any], **options: Any) -> Team:
        """A team built from ``participants`` (and ``options``) with the state saved at ``path``.

        Options saved with the team (mode, name, max_turns, text ``until``, edges without
        functions, ...) are used unless given; options that are code (a ``stop`` condition
        object, function edges, an approver) must be passed again. A saved model naming a
        server is used only if you pass ``model=`` or confirm it with ``allow_servers=[url]``.
        """
        from agentnb.core import team_state

        return team_state.load(cls, path, participants, options)

    # ----- a Team is also a participant ----------------------------------------------------

    def turn(self, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        """Run this team on what the outer conversation said since its last turn."""
        return nested_turn(self, thread, ctx)

    def use_outer_model(self, outer: Callable[[], Model]) -> None:
        """As a nested team without a model of its own, use the outer team's (resolved if used)."""
        if self.model is None:
            self._outer_model = outer
