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
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Protocol

from agentnb.core import durable, waiting
from agentnb.core.agent import Agent
from agentnb.core.events import (
    USER,
    Event,
    SpeakerSelected,
    Stop,
    TextMessage,
)
from agentnb.core.executor import Flight, execute
from agentnb.core.lifecycle import Pace, begin_run, end_run
from agentnb.core.makers import speaker_selected
from agentnb.core.modes.base import Outcome, Start
from agentnb.core.result import TeamResult, result_of
from agentnb.core.run_end import cancel_reason, closing_events, run_error
from agentnb.core.turn import TurnContext

if TYPE_CHECKING:
    from agentnb.core.model import Model
    from agentnb.core.modes.base import Mode
    from agentnb.core.slot import RunSlot
    from agentnb.core.state import History
    from agentnb.core.stop import StopCondition


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
    approver: Any
    approver_name: str
    last_result: TeamResult | None

    slot: RunSlot

    def participant(self, name: str) -> Any: ...

    def resolved_model(self) -> Model: ...

    def model_for(self, agent: Any) -> Model: ...

    def context_of(self, name: str) -> Any: ...

    def pending(self) -> list[waiting.Pending]: ...


class Run:
    """One run of ``team`` on ``messages`` (a new task, or none to go on)."""

    def __init__(self, team: Owner, messages: list[TextMessage]) -> None:
        self.team = team
        self.history = team.history
        self.record = self.history.record  # records an event (the history's method: one call per event)
        self.condition = team.condition
        self.reason = self.condition.reason  # (read before and after every turn's announcement)
        self.unmet: Any = object()  # the last stop-condition state found not met (`stopping`)
        self.recheck = bool(self.condition.timeouts() or self.condition.externals())  # (read, not folded)
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
        self._contexts: dict[str, TurnContext] = {}
        self.stream: AsyncIterator[Event] | None = None
        self.read = True  # someone reads the events as they come (`open`)

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
        """The number of the turn about to start (a new run counts from 1, or 2 after a paused turn)."""
        state = self.history.state
        return (state.turns if state.running else int(state.open_turn is not None)) + 1

    @property
    def stopping(self) -> bool:
        """The run must end: finished, asked to stop, or its stop condition is met."""
        if self.finish_reason or self.stop_requested:
            return True
        state = self.history.state
        if state.run_start is None or state.stop is self.unmet:
            return False  # (a state found not met before: `reason` is pure but for time and switches)
        met = bool(self.reason(state.stop))
        if not (met or self.recheck):
            self.unmet = state.stop
        return met

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
            found = (e for e in reversed(self.transcript) if e.__class__ is TextMessage and e.source == USER)
            self._task_text = next((e.content for e in found if not e.scope), "")  # type: ignore[attr-defined]
        return self._task_text

    def finish(self, reason: str) -> None:
        """End the run after the turns in flight (the first reason given is kept)."""
        if not self.finish_reason:
            self.finish_reason = reason

    # ----- used by the executor ----------------------------------------------------------------

    def announce(self, start: Start) -> SpeakerSelected:
        """The `SpeakerSelected` of a turn a mode chose (``start.choice``), numbered in this run."""
        self.ran = True
        choice: Any = start.choice
        state = self.history.state
        turn = (state.turns if state.run_start is not None else int(state.open_turn is not None)) + 1
        return speaker_selected(
            self.team_name, choice.speaker, turn, choice.reason, choice.usage, choice.model,
            choice.request_model, choice.started_at,
        )  # fmt: skip

    def launch(self, start: Start, resume: bool, keep: bool = False) -> Flight:
        """A turn starts (``resume``: one a checkpoint cut off): it is in flight, with what its
        participant gets for it (``flight.ctx``, see `turn_context`). ``keep``: the executor reads
        turns one at a time, so a participant's plain turns may share one stream (closed at the end)."""
        self.ran = True
        ctx = None
        if not resume and start.memo is None and start.output_type is None and not start.step:
            ctx = self._contexts.get(start.key)  # a plain turn: the context made at the first one
            if ctx is None:
                ctx = self._contexts[start.key] = self.turn_context(start, resume)
                ctx.keep = keep
        flight = self.flights[start.key] = Flight(start, ctx or self.turn_context(start, resume))
        return flight

    def land(self, flight: Flight) -> Outcome:
        """A turn ended: it is no longer in flight; how it ended (and how long it took)."""
        self.flights.pop(flight.start.key, None)
        flight.duration = time.monotonic() - flight.began
        return flight

    def cut_off_turn(self) -> Start | None:
        """The turn a checkpoint or a pause left open, to go on with before choosing anyone."""
        speaker = self.history.state.open_turn
        if speaker is None or speaker not in self.names:
            return None
        return Start(speaker, self.team.participant(speaker))

    def interrupts(self, start: Start) -> bool:
        """True when the team pauses before this speaker (``interrupt_before``)."""
        speaker = start.participant.name
        if self.team.interrupt_before and speaker in self.team.interrupt_before:
            self.finish(f"paused before {speaker} (interrupt_before); run() goes on with {speaker}")
            return True
        return False

    def turn_context(self, start: Start, resume: bool) -> TurnContext:
        """What a participant gets for one turn: its model and context, tools, approval (the
        same for every plain turn of a participant in one run: `launch` makes it once)."""
        team, participant = self.team, start.participant
        memo, model, fallback = start.memo, None, None
        if isinstance(participant, Agent):
            model = team.model_for(participant)
            if memo is None:
                memo = team.context_of(participant.name)
        elif callable(getattr(participant, "use_outer_model", None)) and participant.model is None:
            fallback = team.resolved_model  # a nested team: the outer model, resolved only if used
        return TurnContext(
            model=model,
            extra_tools=self.mode.extra_tools(participant.name),
            approver=team.approver,
            approver_name=team.approver_name,
            stream_tokens=self.stream_tokens,
            memo=memo,
            output_type=start.output_type,
            step=start.step,
            pace=self.pace,
            resume=resume,
            fallback=fallback,
        )

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

    def open(self, read: bool = True) -> AsyncIterator[Event]:
        """The run's event stream (kept, so a task that abandons it can have it closed); not
        ``read``: run() and run_sync() drain it, so the executor's events are not handed on."""
        self.read = read
        self.stream = self.events()
        return self.stream

    async def events(self) -> AsyncIterator[Event]:
        """Every event of the run as it happens; the last is a `Stop`.

        ``inside`` is False while the run waits at a ``yield`` for its consumer: a Stop then
        only asks (nothing of the run's is in flight), else it cancels the call in flight.
        """
        team = self.team
        await team.slot.claim(self)
        try:
            durable.hold(self.history)  # a stored run has one writer: this run
        except BaseException:
            team.slot.release(self)
            raise
        cleanups = begin_run()
        timer: asyncio.TimerHandle | None = None
        condition = team.condition
        error: BaseException | None = None
        reason = ""
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
            self.inside = True
            try:
                state = self.history.state
                if (state.running or state.waiting) and any(map(self._is_task, self.messages)):
                    # a new task replaces an open (or waiting) run; a participant's message goes on in it
                    for event in self._closing("ended: a new task started"):
                        self.inside = False
                        yield self.record(event)
                        self.inside = True
                if self.history.state.running:
                    self.start = self.history.state.run_start  # type: ignore[assignment]
                for message in self.messages:
                    for event in self._given(message):
                        self.inside = False
                        yield self.record(event)
                        self.inside = True
                async with aclosing(execute(self)) as events:
                    async for event in events:
                        if self.read:  # (else no one would do anything with it: one layer less per event)
                            self.inside = False
                            yield event
                            self.inside = True
                        if self.stop_requested:
                            break
            except asyncio.CancelledError:
                if self.stop_requested is None:
                    for event in self._closing(cancel_reason()):
                        self.record(event)
                    raise
                current = asyncio.current_task()
                if current is not None:
                    current.uncancel()
            except Exception as exc:
                error, reason = exc, f"error: {exc}"
            state = self.history.state
            reason = reason or self.stop_requested or self.finish_reason or team.history.fold.reason(state)
            awaiting = [] if error is not None or self.stop_requested else team.pending()
            reason = waiting.reason(awaiting) or reason or "finished"
            for event in self._closing(reason, failed=error is not None, awaiting=awaiting):
                self.inside = False
                yield self.record(event)
                self.inside = True
            if error is not None:
                raise run_error(self.team_name, error, self.result())
        finally:
            self.inside = False
            for ctx in self._contexts.values():  # the streams agents kept between their turns
                if ctx.stream is not None:
                    stream, ctx.stream = ctx.stream, None
                    await stream.aclose()  # type: ignore[attr-defined]
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
                    team.slot.release(self)

    def _is_task(self, message: TextMessage) -> bool:
        return message.source == USER or message.source not in self.team.names

    def _given(self, message: TextMessage) -> list[Event]:
        """A message given to ``run()``: the task, or one written as a participant (its turn)."""
        if self._is_task(message):
            self._task_text = None
            return [message]
        state = self.history.state
        if state.open_turn == message.source and state.fresh:
            return [message]
        turn = SpeakerSelected(
            source=self.team_name, speaker=message.source, turn=self.next_turn, reason="written by the user"
        )
        return [turn, message]

    def _closing(
        self, reason: str, failed: bool = False, awaiting: Sequence[waiting.Pending] = ()
    ) -> list[Event]:
        """What ends the run; the calls ``awaiting`` a person's decision stay open for it."""
        state = self.history.state
        start = state.run_start if state.run_start is not None else self.start
        if state.open_turn is not None:  # a turn left open by a wait for a person began before
            start = min(start, waiting.turn_start(self.history.transcript, state.open_turn))
        kept = {p.call_id for p in awaiting}
        events = closing_events(self.flights.values(), self.history.transcript[start:], reason, kept)
        self.flights.clear()
        events.append(Stop(source=self.team_name, reason=reason, failed=failed, waiting=bool(awaiting)))
        return events

    def result(self) -> TeamResult:
        """The result of this run so far (never raises)."""
        return result_of(self.history.transcript[self.start :], self.team, self.start)
