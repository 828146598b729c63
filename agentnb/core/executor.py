"""The one executor: runs the turns a mode asks for, records their events, ends the run.

Every mode goes through here, so a participant's own stop, a user's Stop button, a
condition that is met and an error are each handled once. A mode that runs one turn at a
time is driven inline (the turn reads the team's transcript as it grows, and each event
costs no task switch); a concurrent mode (graph, plan) runs each turn as a task on a
thread of its own and the executor records events as they arrive.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentnb.core.events import (
    ErrorEvent,
    Event,
    Handoff,
    SpeakerSelected,
    Stop,
    TextMessage,
    TokenDelta,
    ToolCalls,
)
from agentnb.core.kinds import EPHEMERAL
from agentnb.core.modes.base import Mode, Outcome, RunView, Start
from agentnb.core.turn import TurnContext

_REPLIES = frozenset({TextMessage, ToolCalls, ErrorEvent})  # model outputs that end a streamed piece


@dataclass
class Flight:
    """A turn in progress: what started it, the text streamed and not yet in a message, how it ended."""

    start: Start
    began: float = field(default_factory=time.monotonic)
    partial: list[str] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)

    def see(self, event: Event) -> bool:
        """Note what a turn produced; False for a stop the participant asked for (not recorded)."""
        kind = event.__class__
        if kind is TokenDelta:
            self.partial.append(event.text)  # type: ignore[attr-defined]
            return True
        if event.scope:
            return True
        if kind is Stop:
            self.outcome.stopped = event.reason  # type: ignore[attr-defined]
            return False
        if kind in _REPLIES:
            self.partial.clear()
            if kind is TextMessage and event.source == self.start.participant.name:
                self.outcome.reply = event  # type: ignore[assignment]
        elif kind is Handoff:
            self.outcome.handoff = event  # type: ignore[assignment]
        return True

    def land(self) -> Outcome:
        self.outcome.duration = time.monotonic() - self.began
        return self.outcome


class Run(RunView, Protocol):
    """What the executor needs of the run it drives (`agentnb.core.run.Run` is the one)."""

    mode: Mode
    ran: bool
    stop_requested: str | None
    transcript: Sequence[Event]

    def record(self, event: Event) -> Event: ...

    def announce(self, start: Start) -> SpeakerSelected: ...

    def launch(self, start: Start) -> Flight: ...

    def land(self, flight: Flight) -> None: ...

    def cut_off_turn(self) -> Start | None: ...

    def interrupts(self, start: Start) -> bool: ...

    def turn_context(self, start: Start, resume: bool) -> TurnContext: ...


async def execute(run: Run) -> AsyncIterator[Event]:
    """Drive the run's mode until it has nothing left to start or the run must stop."""
    source = _concurrent(run) if run.mode.concurrent else _one_at_a_time(run)
    async with aclosing(source) as events:
        async for event in events:
            yield event


async def _one_at_a_time(run: Run) -> AsyncIterator[Event]:
    mode = run.mode
    while not run.stopping:
        resumed = run.cut_off_turn()
        start = resumed
        if start is None:
            start = None
            for item in await mode.next(run):
                if isinstance(item, Start):
                    start = item
                else:
                    yield run.record(item)
            if start is None:
                run.finish(mode.done(run.mode_state, run.ran))
                return
            yield run.record(run.announce(start))
            if run.stopping or run.interrupts(start):
                return  # a breakpoint on this speaker: the turn starts at the next run()
        flight = run.launch(start)
        async with aclosing(
            start.participant.turn(run.transcript, run.turn_context(start, resumed is not None))
        ) as turn:
            try:
                async for event in turn:
                    if flight.see(event):
                        yield run.record(event)
                    else:
                        break
                    if run.stop_requested:
                        return  # the flight stays in the run: its streamed text is kept when it closes
            except Exception as exc:
                flight.outcome.error = exc
        run.land(flight)
        for event in mode.after(run, start, flight.land()):
            yield run.record(event)


async def _concurrent(run: Run) -> AsyncIterator[Event]:
    mode = run.mode
    queue: asyncio.Queue[tuple[str, Flight, Any]] = asyncio.Queue()
    tasks: dict[str, asyncio.Task[None]] = {}

    async def fly(flight: Flight, thread: Any, ctx: Any) -> None:
        start = flight.start
        try:
            async with aclosing(start.participant.turn(thread, ctx)) as turn:
                async for event in turn:
                    if start.step and event.step != start.step:
                        event = event.model_copy(update={"step": start.step})
                    if not flight.see(event):
                        break
                    if event.__class__ not in EPHEMERAL:
                        thread.append(event)
                    queue.put_nowait(("event", flight, event))
        except Exception as exc:  # handed to the mode, which decides what it means
            flight.outcome.error = exc
        queue.put_nowait(("done", flight, None))

    try:
        while True:
            progressed = True
            while progressed and not run.stopping:
                progressed = False
                for item in await mode.next(run):
                    if not isinstance(item, Start):
                        yield run.record(item)
                        progressed = True
                        continue
                    if item.choice is not None:
                        yield run.record(run.announce(item))
                    if item.announce is not None:
                        yield run.record(item.announce)
                    flight = run.launch(item)
                    thread = (
                        item.thread if item.thread is not None else run.transcript.prefix(len(run.transcript))
                    )
                    ctx = run.turn_context(item, False)
                    tasks[item.key] = asyncio.create_task(fly(flight, thread, ctx))
            if not tasks:
                if not run.stopping:
                    run.finish(mode.done(run.mode_state, run.ran))
                return
            kind, flight, event = await queue.get()
            if kind == "event":
                yield run.record(event)
                if run.stop_requested:
                    return
                continue
            tasks.pop(flight.start.key)
            run.land(flight)
            for follow in mode.after(run, flight.start, flight.land()):
                yield run.record(follow)
    finally:
        for task in tasks.values():
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)


def speaker_selected(team: str, start: Start, turn: int) -> SpeakerSelected:
    """The announcement of a turn a mode chose (its reason, and what choosing cost)."""
    choice = start.choice
    assert choice is not None
    return SpeakerSelected(
        source=team,
        speaker=choice.speaker,
        turn=turn,
        reason=choice.reason,
        usage=choice.usage,
        model=choice.model,
        request_model=choice.request_model,
        started_at=choice.started_at,
    )
