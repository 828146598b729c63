"""Who takes part in a team, and a run's task: both checked, with errors that name the fix."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agentnb.core.calls import APPROVER, LATER
from agentnb.core.errors import ConfigError
from agentnb.core.events import USER, TextMessage, ToolCall
from agentnb.core.human import Human


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
    """The participants as a list: each one able to take a turn, each name once."""
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


def approver_for(
    participants: Sequence[Any], approver: Callable[[str, ToolCall], Any] | str | None, mode: Any
) -> tuple[Callable[[str, ToolCall], Any] | str | None, str]:
    """Who decides tool calls that need approval (the function given, ``"later"``: a person,
    later; else the team's first `Human`) and the name decisions are recorded under; every such
    tool must have one. A person who decides later makes the run wait: ``mode`` must run one
    turn at a time."""
    if approver is not None and not callable(approver) and approver != LATER:
        raise ConfigError(
            "approver: expected a function (agent, call) -> True/False, or 'later' (a person decides "
            f"later: the run waits), got {approver!r}"
        )
    humans = [p for p in participants if isinstance(p, Human)]
    if mode.concurrent and (approver == LATER or any(h.answers_later for h in humans)):
        raise ConfigError(
            "approver: a run that waits for a person (approver='later', input_fn='later') goes on one "
            f"speaker at a time; mode {mode.name!r} runs turns at once: use round_robin, selector or handoff"
        )
    chosen = approver or (humans[0].approve if humans else None)
    if chosen is None:
        for p in participants:
            for t in getattr(p, "tools", ()):
                if t.requires_approval:
                    raise ConfigError(
                        f"participants: {p.name!r}'s tool {t.name!r} requires approval, but the team "
                        "has no Human and no approver= function"
                    )
    return chosen, humans[0].name if humans and approver is None else APPROVER
