"""One execution of a team: from the task to the `Stop` event, however the run ends.

A `Run` records events into the team's history (the fold updates the state), hands turns
to the executor, and owns what a run must always do: listen for Stop buttons, timeouts and
outside switches, cancel a call in flight when asked, keep a reply that was streaming when
the run stopped (marked ``cut_off``), answer tool calls a stop cut off, write the `Stop`
event, and leave the team ready for the next run — never stuck "running". A run that ends
because a person must decide says so in its `Stop` (``waiting``) and leaves their turn open;
a stored run is held by this run while it goes and written when it ends (`agentnb.core.durable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Protocol

from agentnb.core import durable, waiting
from agentnb.core.errors import AgentnbError, RunError
from agentnb.core.events import (
    USER,
    Event,
    SpeakerSelected,
    Stop,
    TextMessage,
    ToolCalls,
    ToolResult,
)
from agentnb.core.executor import Flight, execute, speaker_selected
from agentnb.core.lifecycle import Pace, begin_run, end_run
from agentnb.core.model import ModelError
from agentnb.core.modes.base import Start
from agentnb.core.result import TeamResult, result_of
from agentnb.core.turn import TurnContext

if TYPE_CHECKING:
    from agentnb.core.model import Model
    from agentnb.core.modes.base import Mode
    from agentnb.core.state import History
    from agentnb.core.stop import StopCondition

INTERRUPTED = "interrupted by the user"


class Owner(Protocol):
    """What a run needs of its team (`agentnb.core.team.Team` is the one)."""

    name: str
    names: list[str]
    participants: list[Any]
    stream_tokens: bool
    history: History
    mode_object: Mode
    condition: StopCondition
    interrupt_before: list[str]
    last_result: TeamResult | None

    async def claim(self, run: Run) -> None: ...

    def release(self, run: Run) -> None: ...

    def participant(self, name: str) -> Any: ...

    def resolved_model(self) -> Model: ...

    def model_for(self, agent: Any) -> Model: ...

    def turn_context(self, start: Start, pace: Pace, resume: bool) -> TurnContext: ...

    def pending(self) -> list[waiting.Pending]: ...


class Run:
    """One run of ``team`` on ``messages`` (a new task, or none to go on)."""

    def __init__(self, team: Owner, messages: list[TextMessage]) -> None:
        self.team = team
        self.history = team.history
        self.mode = team.mode_object
        self.messages = messages
        self.team_name = team.name
        self.names = team.names
        self.stream_tokens = team.stream_tokens
        self.stop_requested: str | None = None
        self.finish_reason = ""
        self.pace = Pace()
        self.flights: dict[str, Flight] = {}
        self.ran = False  # a turn started in this run
        self.start = len(self.history.transcript)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.worker: asyncio.Task[Any] | None = None  # the task the run works in
        self.inside = False  # the run is working (not waiting at a yield for its consumer)
        self._task_text: str | None = None

    # ----- what modes read (see agentnb.core.modes.base.RunView) -----------------------------

    @property
    def transcript(self) -> Sequence[Event]:
        return self.history.transcript

    @property
    def in_flight(self) -> dict[str, Flight]:
        return self.flights

    @property
    def mode_state(self) -> Any:
        return self.history.state.mode

    @property
    def next_turn(self) -> int:
        return self.history.state.turns + 1

    @property
    def stopping(self) -> bool:
        return bool(self.finish_reason or self.stop_requested or self.history.fold.reason(self.history.state))

    def participant(self, name: str) -> Any:
        return self.team.participant(name)

    def participants(self) -> list[Any]:
        return self.team.participants

    def model(self) -> Model:
        return self.team.resolved_model()

    def model_for(self, agent: Any) -> Model:
        return self.team.model_for(agent)

    def task(self) -> str:
        """The run's task: the latest message from the user at the top level."""
        if self._task_text is None:
            transcript = self.transcript
            self._task_text = next(
                (
                    transcript[i].content  # type: ignore[attr-defined]
                    for i in range(len(transcript) - 1, -1, -1)
                    if transcript[i].__class__ is TextMessage
                    and transcript[i].source == USER
                    and not transcript[i].scope
                ),
                "",
            )
        return self._task_text

    def finish(self, reason: str) -> None:
        """End the run after the turns in flight (the first reason given is kept)."""
        if not self.finish_reason:
            self.finish_reason = reason

    # ----- used by the executor ----------------------------------------------------------------

    def record(self, event: Event) -> Event:
        return self.history.record(event)

    def announce(self, start: Start) -> SpeakerSelected:
        self.ran = True
        return speaker_selected(self.team_name, start, self.next_turn)

    def launch(self, start: Start) -> Flight:
        self.ran = True
        flight = self.flights[start.key] = Flight(start)
        return flight

    def land(self, flight: Flight) -> None:
        self.flights.pop(flight.start.key, None)

    def cut_off_turn(self) -> Start | None:
        """The turn a checkpoint or a pause left open, to go on with before choosing anyone."""
        speaker = self.history.state.open_turn
        if speaker is None or speaker not in self.team.names:
            return None
        return Start(speaker, self.team.participant(speaker))

    def interrupts(self, start: Start) -> bool:
        """True when the team pauses before this speaker (``interrupt_before``)."""
        speaker = start.participant.name
        if speaker in self.team.interrupt_before:
            self.finish(f"paused before {speaker} (interrupt_before); run() goes on with {speaker}")
            return True
        return False

    def turn_context(self, start: Start, resume: bool) -> TurnContext:
        return self.team.turn_context(start, self.pace, resume)

    # ----- stopping ---------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        """Stop now (from this loop): a call in flight is cancelled; its streamed text is kept."""
        if self.stop_requested:
            return
        self.stop_requested = reason
        task = self.worker
        if self.inside and task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()

    def request_stop_threadsafe(self, reason: str) -> None:
        loop = self.loop
        if loop is None:
            return
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            self.request_stop(reason)
        else:
            with contextlib.suppress(RuntimeError):  # a closed loop: nothing left to stop
                loop.call_soon_threadsafe(self.request_stop, reason)

    # ----- the run itself --------------------------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        """Every event of the run as it happens; the last is a `Stop`."""
        team = self.team
        await team.claim(self)
        try:
            durable.hold(self.history)  # a stored run has one writer: this run
        except BaseException:
            team.release(self)
            raise
        cleanups = begin_run()
        timer: asyncio.TimerHandle | None = None
        condition = team.condition
        try:
            self.loop = asyncio.get_running_loop()
            self.worker = asyncio.current_task()
            condition.arm()
            for external in condition.externals():
                external.listeners.append(self.request_stop_threadsafe)
            timeouts = condition.timeouts()
            if timeouts:
                seconds = min(timeouts)
                timer = self.loop.call_later(seconds, self.request_stop, f"timed out after {seconds:g} s")
            async with aclosing(self._produce()) as events:
                self.inside = True
                async for event in events:
                    self.inside = False
                    yield event
                    self.inside = True
        finally:
            self.inside = False
            if timer is not None:
                timer.cancel()
            for external in condition.externals():
                if self.request_stop_threadsafe in external.listeners:
                    external.listeners.remove(self.request_stop_threadsafe)
            if self.history.state.running and self.history.state.run_start == self.start:
                # the consumer stopped reading (or set-up failed) before the Stop event
                for event in self._closing(self.stop_requested or "the consumer stopped reading the stream"):
                    self.record(event)
            team.last_result = self.result()
            try:
                await end_run(cleanups)
            finally:
                try:
                    durable.let_go(self.history)  # what is left reaches the store
                finally:
                    team.release(self)

    async def _produce(self) -> AsyncIterator[Event]:
        error: BaseException | None = None
        reason = ""
        try:
            state = self.history.state
            waits = state.waiting and any(m.source == USER for m in self.messages)  # a new task instead
            if (state.running or waits) and self.messages:  # an open run (a rewind, a load) ends here
                for event in self._closing("ended: a new task started"):
                    yield self.record(event)
            if self.history.state.running:
                self.start = self.history.state.run_start  # type: ignore[assignment]
            for message in self.messages:
                for event in self._given(message):
                    yield self.record(event)
            async with aclosing(execute(self)) as events:
                async for event in events:
                    yield event
                    if self.stop_requested:
                        break
        except asyncio.CancelledError:
            if self.stop_requested is None:
                for event in self._closing(_cancel_reason()):
                    self.record(event)
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except Exception as exc:
            error = exc
            reason = f"error: {exc}"
        state = self.history.state
        reason = (
            reason
            or self.stop_requested
            or self.finish_reason
            or self.history.fold.reason(state)
            or "finished"
        )
        awaiting = [] if error is not None or self.stop_requested else self.team.pending()
        for event in self._closing(
            waiting.reason(awaiting) or reason, failed=error is not None, awaiting=awaiting
        ):
            yield self.record(event)
        if error is not None:
            raise run_error(self.team_name, error, self.result())

    def _given(self, message: TextMessage) -> list[Event]:
        """A message given to ``run()``: the task, or one written as a participant (its turn)."""
        if message.source == USER or message.source not in self.team.names:
            self._task_text = None
            return [message]
        state = self.history.state
        if state.open_turn == message.source and state.fresh:
            return [message]
        turn = SpeakerSelected(
            source=self.team_name, speaker=message.source, turn=state.turns + 1, reason="written by the user"
        )
        return [turn, message]

    def _closing(
        self, reason: str, failed: bool = False, awaiting: Sequence[waiting.Pending] = ()
    ) -> list[Event]:
        """What ends a run: replies cut off while streaming, results for calls a stop cut off
        (not those ``awaiting`` a person's decision), the `Stop`."""
        events: list[Event] = []
        for flight in self.flights.values():
            text = "".join(flight.partial)
            if text.strip():
                source = flight.start.participant.name
                events.append(TextMessage(source=source, content=text, cut_off=True, step=flight.start.step))
        self.flights.clear()
        events.extend(self._dangling(reason, {p.call_id for p in awaiting}))
        events.append(Stop(source=self.team_name, reason=reason, failed=failed, waiting=bool(awaiting)))
        return events

    def _dangling(self, reason: str, awaiting: set[str]) -> list[ToolResult]:
        """Tool calls cut off by a stop get an error result, so the chat stays well formed."""
        state = self.history.state
        start = state.run_start if state.run_start is not None else self.start
        if state.open_turn is not None:  # a turn left open by a wait for a person began before
            start = min(start, waiting.turn_start(self.history.transcript, state.open_turn))
        events = self.history.transcript[start:]
        answered = awaiting | {e.call_id for e in events if e.__class__ is ToolResult}  # type: ignore[attr-defined]
        missing = []
        for event in events:
            if event.__class__ is ToolCalls:
                for call in event.calls:  # type: ignore[attr-defined]
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

    def result(self) -> TeamResult:
        """The result of this run so far (never raises)."""
        return result_of(self.history.transcript[self.start :], self.team, self.start)


def run_error(team: str, error: BaseException, result: TeamResult) -> RunError:
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
