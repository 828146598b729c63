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


class Flight(Outcome):
    """A turn in progress: what started it, what its participant was given (``ctx``), the text
    streamed and not yet in a message, and how it ended (it is its own `Outcome`)."""

    __slots__ = ("began", "ctx", "partial", "speaker", "start")

    def __init__(self, start: Start, ctx: TurnContext) -> None:
        self.reply = self.handoff = self.error = None
        self.stopped, self.duration = "", 0.0
        self.start, self.ctx = start, ctx
        self.speaker = start.participant.name
        self.began = time.monotonic()
        self.partial: list[str] = []  # streamed pieces since the last message (kept if the run stops)

    def see(self, event: Event) -> bool:
        """Note what a turn produced; False for a stop the participant asked for (not recorded)."""
        kind = event.__class__
        if kind is TokenDelta:
            self.partial.append(event.text)  # type: ignore[attr-defined]
            return True
        if event.scope:
            return True
        if kind is Stop:
            self.stopped = event.reason  # type: ignore[attr-defined]
            return False
        if kind in _REPLIES:
            self.partial.clear()
            if kind is TextMessage and event.source == self.speaker:
                self.reply = event  # type: ignore[assignment]
        elif kind is Handoff:
            self.handoff = event  # type: ignore[assignment]
        return True


class Run(RunView, Protocol):
    """What the executor needs of the run it drives (`agentnb.core.run.Run` is the one)."""

    mode: Mode
    ran: bool
    stop_requested: str | None
    transcript: Sequence[Event]

    def record(self, event: Event) -> Event: ...

    def announce(self, start: Start) -> SpeakerSelected: ...

    def launch(self, start: Start, resume: bool, keep: bool = False) -> Flight: ...

    def land(self, flight: Flight) -> Outcome: ...

    def cut_off_turn(self) -> Start | None: ...

    def interrupts(self, start: Start) -> bool: ...


def execute(run: Run) -> AsyncIterator[Event]:
    """Drive the run's mode until it has nothing left to start or the run must stop."""
    return _concurrent(run) if run.mode.concurrent else _one_at_a_time(run)


async def _one_at_a_time(run: Run) -> AsyncIterator[Event]:
    mode, record, transcript = run.mode, run.record, run.transcript  # (a run's transcript stays the same)
    plain_after = type(mode).after is Mode.after
    while not run.stopping:
        resumed = run.cut_off_turn()
        start = resumed
        if start is None:
            items = mode.next(run)
            for item in items if items.__class__ is list else await items:  # type: ignore[union-attr]
                if item.__class__ is Start:
                    start = item  # type: ignore[assignment]
                else:
                    yield record(item)  # type: ignore[arg-type]
            if start is None:
                run.finish(mode.done(run.mode_state, run.ran))
                return
            yield record(run.announce(start))
            if run.stopping or run.interrupts(start):
                return  # a breakpoint on this speaker: the turn starts at the next run()
        flight = run.launch(start, resumed is not None, keep=True)
        partial, speaker, ctx = flight.partial, flight.speaker, flight.ctx
        turn = ctx.stream or start.participant.turn(transcript, ctx)  # (a kept stream: what turn() gives)
        kept = turn is ctx.stream  # an agent serving all its turns from one stream (`TurnContext.keep`)
        paused = False  # that stream stopped after the reply that ended this turn: it reads on next time
        try:
            async for event in turn:
                kind = event.__class__
                if kind is TokenDelta:  # the most frequent event: streamed, not recorded
                    partial.append(event.text)  # type: ignore[attr-defined]
                    yield event
                elif kind is TextMessage and not event.scope:  # the usual reply (`Flight.see`, inline)
                    if partial:
                        partial.clear()
                    if event.source == speaker:
                        flight.reply = event  # type: ignore[assignment]
                        paused = kept
                    yield record(event)
                    if paused:
                        break
                elif flight.see(event):
                    yield record(event)
                    if kept and kind is Handoff and not event.scope:
                        paused = True
                        break
                else:
                    break
                if run.stop_requested:
                    return  # the flight stays in the run: its streamed text is kept when it closes
        except Exception as exc:
            flight.error = exc
        finally:
            if not paused:
                await turn.aclose()
                if kept:
                    ctx.stream = None
        outcome = run.land(flight)
        if outcome.error is None and not outcome.stopped and plain_after:
            continue  # nothing for the mode to add (the base contract's after, without the call)
        for event in mode.after(run, start, outcome):
            yield record(event)


async def _concurrent(run: Run) -> AsyncIterator[Event]:
    mode = run.mode
    queue: asyncio.Queue[tuple[str, Flight, Any]] = asyncio.Queue()
    tasks: dict[str, asyncio.Task[None]] = {}

    async def fly(flight: Flight, thread: Any) -> None:
        start = flight.start
        try:
            async with aclosing(start.participant.turn(thread, flight.ctx)) as turn:
                async for event in turn:
                    if start.step and event.step != start.step:
                        event = event.model_copy(update={"step": start.step})
                    if not flight.see(event):
                        break
                    if event.__class__ not in EPHEMERAL:
                        thread.append(event)
                    queue.put_nowait(("event", flight, event))
        except Exception as exc:  # handed to the mode, which decides what it means
            flight.error = exc
        queue.put_nowait(("done", flight, None))

    try:
        while True:
            progressed = True
            while progressed and not run.stopping:
                progressed = False
                items = mode.next(run)
                for item in items if items.__class__ is list else await items:  # type: ignore[union-attr]
                    if not isinstance(item, Start):
                        yield run.record(item)
                        progressed = True
                        continue
                    if item.choice is not None:
                        yield run.record(run.announce(item))
                    if item.announce is not None:
                        yield run.record(item.announce)
                    flight = run.launch(item, False)
                    thread = (
                        item.thread if item.thread is not None else run.transcript.prefix(len(run.transcript))
                    )
                    tasks[item.key] = asyncio.create_task(fly(flight, thread))
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
            for follow in mode.after(run, flight.start, run.land(flight)):
                yield run.record(follow)
    finally:
        for task in tasks.values():
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)
