"""The contract every team mode keeps: a fold over events, and a choice of what runs next.

A mode is configuration (which participant may follow which, a selector prompt, a
graph's edges, a planner). What it has seen of a conversation is a value inside the run's
state: `initial` and `begin` give it, `step(value, event)` folds an event into it (a pure
function), and `peek` reads who would run next from it without any call. While a run goes
on, the one executor (`agentnb.core.executor`) asks `next` what to start, runs those turns,
records their events, and asks `after` what a finished turn adds — so stopping, cancelling
and errors are handled once, for every mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from agentnb.core.events import Event, Handoff, SpeakerSelected, TextMessage, Usage

if TYPE_CHECKING:
    from agentnb.core.model import Model
    from agentnb.core.tools import Tool


@dataclass(slots=True)
class Choice:
    """Who speaks next, why, and what choosing cost (a selector's model call)."""

    speaker: str
    reason: str
    usage: Usage | None = None
    model: str | None = None
    started_at: float | None = None
    request_model: str | None = None  # the selector's model as asked (its agentnb name)


@dataclass(slots=True)
class Start:
    """One turn the executor should start.

    ``choice`` is announced as a `SpeakerSelected` (with the next turn number); ``announce``
    is any other event to record first (a `StepStarted`). ``thread`` is the conversation the
    participant reads (None: the team's transcript, shared); ``memo`` its own model context
    for that thread; ``step`` tags its events; ``output_type`` overrides the agent's own.
    ``tag`` is for the mode (a plan step, an attempt).
    """

    key: str
    participant: Any
    choice: Choice | None = None
    announce: Event | None = None
    thread: Any = None
    memo: Any = None
    step: str = ""
    output_type: Any = None
    tag: Any = None


@dataclass(slots=True)
class Outcome:
    """How a turn ended: its reply (or handoff), a stop the participant asked for, or an error."""

    reply: TextMessage | None = None
    handoff: Handoff | None = None
    stopped: str = ""
    error: BaseException | None = None
    duration: float = 0.0  # seconds the turn took


class RunView(Protocol):
    """What a mode may read of the run it schedules (and `finish`, to end it)."""

    team_name: str
    names: list[str]
    transcript: Sequence[Event]
    in_flight: Collection[str]
    stream_tokens: bool

    @property
    def mode_state(self) -> Any: ...

    @property
    def next_turn(self) -> int: ...

    @property
    def stopping(self) -> bool: ...

    def participant(self, name: str) -> Any: ...

    def participants(self) -> list[Any]: ...

    def model(self) -> Model: ...

    def model_for(self, agent: Any) -> Model: ...

    def task(self) -> str: ...

    def finish(self, reason: str) -> None: ...


class Mode:
    """Base of the team modes; the defaults suit one speaker at a time."""

    name: str = "mode"  # the mode's name as a string ("round_robin", "graph", ...)
    concurrent: ClassVar[bool] = False  # True: several turns may run at once (each on its own thread)

    def bind(self, names: Sequence[str], participants: Sequence[Any]) -> None:
        """Check the mode fits the team's participants (raise `ConfigError` naming the problem)."""

    def initial(self) -> Any:
        """The mode's state for a new conversation."""
        return None

    def begin(self, state: Any) -> Any:
        """The state when a run begins (its first event is about to be folded)."""
        return state

    def step(self, state: Any, event: Event) -> Any:
        """The state after ``event`` (pure: ``state`` is not changed)."""
        return state

    def peek(self, state: Any, names: Sequence[str]) -> tuple[str, ...]:
        """Who would run next, without calling anything (empty: nothing is left to run)."""
        return ()

    def next(self, run: RunView) -> list[Start | Event] | Awaitable[list[Start | Event]]:
        """The turns to start now, and events to record first (a fixed plan's `PlanCreated`).

        Called when nothing runs, or, for a concurrent mode, also after each turn ends. A mode
        that must wait to decide (a selector asking a model) returns an awaitable of the list.
        """
        raise NotImplementedError

    def after(self, run: RunView, start: Start, outcome: Outcome) -> list[Event]:
        """Events to record once a turn ended. Default: a participant's stop ends the run; an
        error is raised (the run fails with it)."""
        if outcome.error is not None:
            raise outcome.error
        if outcome.stopped:
            run.finish(outcome.stopped)
        return []

    def done(self, state: Any, ran: bool) -> str:
        """Why the run ends when `next` has nothing left to start (``ran``: this run started a turn)."""
        return "finished"

    def extra_tools(self, name: str) -> Sequence[Tool]:
        """Tools the mode gives a participant (handoff's ``transfer_to_<name>``)."""
        return ()

    def describe(self) -> str:
        return f"{type(self).__name__}()"

    def signature(self) -> str:
        """What a saved snapshot of this mode's state depends on (a run store reuses one only
        for a mode with the same signature); by default its description."""
        return self.describe()

    def __repr__(self) -> str:
        return self.describe()


def last_speaker_step(last: str | None, event: Event) -> str | None:
    """A fold shared by the conversation modes: the latest top-level speaker."""
    if event.__class__ is SpeakerSelected and not event.scope:
        return event.speaker  # type: ignore[attr-defined]
    return last
