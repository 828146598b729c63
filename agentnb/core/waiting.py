"""Waiting for a person is a state of the run, not a blocked coroutine.

When nobody can decide now — ``Team(approver="later")``, or a ``Human(name, input_fn="later")``
who approves or takes a turn — a tool call that needs approval is recorded as an
`ApprovalRequested` and the person's turn is left open; the run ends with a `Stop` that says
what it waits for (``awaiting approval of run_python (call 3)``, ``waiting=True``). What waits
is read from the transcript (`pending`); a decision is recorded as an event (`approval`, an
`Approval`; `answer`, the person's `TextMessage`), so the next ``run()`` — here, or in
another process hours later through a run store — goes on: the waiting turn resumes, runs
the approved calls and gives rejected ones the rejection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agentnb.core.calls import awaiting_approval
from agentnb.core.errors import ConfigError
from agentnb.core.events import (
    Approval,
    ApprovalRequested,
    Event,
    SpeakerSelected,
    TextMessage,
    ToolCall,
    ToolResult,
)
from agentnb.core.state import RunState


@dataclass(frozen=True)
class Pending:
    """One thing a run waits for: ``who`` approves ``call`` (asked for by ``agent``), or answers.

    Decide with ``team.approve(call_id)`` / ``team.reject(call_id, reason)`` or
    ``team.answer(who, text)``, then ``run()`` goes on.
    """

    kind: Literal["approval", "answer"]
    who: str
    agent: str = ""
    call: ToolCall | None = None

    @property
    def call_id(self) -> str:
        return self.call.id if self.call is not None else ""

    def __str__(self) -> str:
        if self.call is None:
            return f"an answer from {self.who}: team.answer({self.who!r}, text)"
        origin = f" from {self.call.origin}" if self.call.origin else ""
        return (
            f"approval of {self.call.name}({self.call.arguments}){origin} (call {self.call.id}) asked "
            f"by {self.agent}, for {self.who}: team.approve({self.call.id!r}) or "
            f"team.reject({self.call.id!r}, why)" + (f"\n{self.call.note}" if self.call.note else "")
        )


def pending(
    transcript: Sequence[Event], state: RunState, participant: Callable[[str], Any], approver: str
) -> list[Pending]:
    """What the team waits for now: calls of the open turn asked about and not decided, or the
    answer of a person who answers later and whose turn it is. Reads only the open turn."""
    speaker = state.open_turn
    if speaker is None:
        return []
    try:
        person = participant(speaker)
    except KeyError:  # not one of the team's participants (a plan's planner)
        return []
    if getattr(person, "answers_later", False):
        return [Pending("answer", speaker)] if state.fresh else []
    asked: list[ApprovalRequested] = []
    closed: set[str] = set()
    for event in reversed(transcript[turn_start(transcript, speaker) :]):
        if event.scope:
            continue
        kind = event.__class__
        if kind is Approval or kind is ToolResult:
            closed.add(event.call_id)  # type: ignore[attr-defined]
        elif kind is ApprovalRequested and event.call_id not in closed:  # type: ignore[attr-defined]
            asked.append(event)  # type: ignore[arg-type]
    return [
        Pending("approval", approver, e.source, ToolCall(e.call_id, e.tool, e.arguments, e.origin, e.note))
        for e in reversed(asked)
    ]


def turn_start(transcript: Sequence[Event], speaker: str) -> int:
    """Where ``speaker``'s latest turn was announced in ``transcript`` (0 if it never was)."""
    for i in range(len(transcript) - 1, -1, -1):
        event = transcript[i]
        if event.__class__ is SpeakerSelected and not event.scope and event.speaker == speaker:  # type: ignore[attr-defined]
            return i
    return 0


def reason(items: Sequence[Pending]) -> str:
    """What a run waits for, as its stop reason."""
    calls = [p.call for p in items if p.call is not None]
    parts = [awaiting_approval(calls)] if calls else []
    parts += [f"awaiting an answer from {p.who}" for p in items if p.call is None]
    return "; ".join(parts)


def _waiting_call(items: Sequence[Pending], call_id: Any) -> Pending:
    for item in items:
        if item.call is not None and item.call.id == call_id:
            return item
    waiting = [p.call_id for p in items if p.call is not None]
    now = f"calls waiting for approval: {', '.join(waiting)}" if waiting else "no call waits for approval"
    raise ConfigError(
        f"call_id: call {call_id!r} does not wait for approval ({now}; team.pending() lists them)"
    )


def approval(items: Sequence[Pending], call_id: str, approved: bool, comment: str, edit: Any) -> Approval:
    """The decision on call ``call_id`` as the event to record; ``edit`` changes its arguments:
    a dict of arguments to change, or the whole arguments as JSON text."""
    item = _waiting_call(items, call_id)
    call = item.call
    assert call is not None
    arguments = None
    if edit is not None:
        if isinstance(edit, dict):
            original = call.parsed_arguments()
            merged = {**original, **edit} if isinstance(original, dict) else edit
            arguments = json.dumps(merged, ensure_ascii=False)
        elif isinstance(edit, str):
            arguments = edit
        else:
            raise ConfigError(f"edit: expected a dict of arguments to change, or JSON text, got {edit!r}")
        arguments = None if arguments == call.arguments else arguments
    return Approval(
        source=item.who,
        call_id=call.id,
        tool=call.name,
        approved=approved,
        comment=str(comment or ""),
        arguments=arguments,
    )


def answer(items: Sequence[Pending], who: str, text: Any) -> TextMessage:
    """``who``'s answer as the event to record (their turn)."""
    if not any(p.call is None and p.who == who for p in items):
        waiting = [p.who for p in items if p.call is None]
        now = f"it waits for an answer from {waiting[0]}" if waiting else "it waits for no answer"
        raise ConfigError(f"answer: the team does not wait for {who!r} to answer ({now}; see team.pending())")
    if not isinstance(text, str):
        raise ConfigError(f"answer: expected text, got {type(text).__name__}")
    return TextMessage(source=who, content=text)
