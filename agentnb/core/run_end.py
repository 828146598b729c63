"""How a run ends, whatever ends it: the events that close it, the error a failed run raises,
and why a cancelled run stopped.

A run that stops mid-turn keeps what was said (a streaming reply becomes a message marked
``cut_off``) and answers every tool call left open with an error result, so the transcript
stays well formed for the next run and for the model that reads it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Sequence, Set
from typing import TYPE_CHECKING

from agentnb.core.calls import error_result
from agentnb.core.errors import AgentnbError, RunError
from agentnb.core.events import Event, TextMessage, ToolCalls, ToolResult
from agentnb.core.model import ModelError

if TYPE_CHECKING:
    from agentnb.core.executor import Flight
    from agentnb.core.result import TeamResult

INTERRUPTED = "interrupted by the user"


def closing_events(
    flights: Iterable[Flight], run_events: Sequence[Event], reason: str, kept: Set[str] = frozenset()
) -> list[Event]:
    """Replies cut off while streaming, then error results for the tool calls the stop left open
    (but those ``kept`` open: they wait for a person's decision)."""
    events: list[Event] = []
    for flight in flights:
        text = "".join(flight.partial)
        if text.strip():
            source = flight.start.participant.name
            events.append(TextMessage(source=source, content=text, cut_off=True, step=flight.start.step))
    events.extend(dangling_results(run_events, reason, kept))
    return events


def dangling_results(
    run_events: Sequence[Event], reason: str, kept: Set[str] = frozenset()
) -> list[ToolResult]:
    """An error result for each tool call in ``run_events`` that has no result yet (nor is ``kept``)."""
    if ToolCalls not in map(type, run_events):  # (a C loop: this runs at the end of every run)
        return []
    answered: set[str] = set(kept)
    requests: list[ToolCalls] = []
    for event in run_events:
        kind = event.__class__
        if kind is ToolResult:
            answered.add(event.call_id)  # type: ignore[attr-defined]
        elif kind is ToolCalls:
            requests.append(event)  # type: ignore[arg-type]
    why = f"Error: cancelled because the run stopped ({reason})."
    return [
        error_result(event.source, call, why, event.step, event.scope)
        for event in requests
        for call in event.calls
        if call.id not in answered
    ]


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


def cancel_reason() -> str:
    """Why a run was cancelled: a notebook's interrupt, or code that cancelled the task."""
    task = asyncio.current_task()
    coro = task.get_coro() if task is not None else None
    if "ipykernel" in sys.modules and "run_cell" in getattr(coro, "__qualname__", ""):
        return INTERRUPTED
    return "cancelled"
