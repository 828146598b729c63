"""Round robin: participants speak in the order given, over and over (across runs too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentnb.core.events import Event, SpeakerSelected
from agentnb.core.modes.base import Choice, Mode, RunView, Start


class RoundRobin(Mode):
    """Each participant in turn; the state is the last speaker's name."""

    name = "round_robin"

    def __init__(self) -> None:
        self.following: dict[str | None, str] = {}  # who follows whom, for the bound team
        self.starts: dict[str, list[Start]] = {}  # the same Start each time a participant's turn comes

    def bind(self, names: Sequence[str], participants: Sequence[Any]) -> None:
        self.following = {
            None: names[0],
            **{a: b for a, b in zip(names, [*names[1:], names[0]], strict=True)},
        }
        self.starts = {p.name: [Start(p.name, p, Choice(p.name, "round robin"))] for p in participants}

    def initial(self) -> str | None:
        return None

    def step(self, state: str | None, event: Event) -> str | None:
        if event.__class__ is SpeakerSelected and not event.scope:
            return event.speaker  # type: ignore[attr-defined]
        return state

    def peek(self, state: str | None, names: Sequence[str]) -> tuple[str, ...]:
        return (self.following.get(state, names[0]),)

    def next(self, run: RunView) -> list[Start | Event]:
        return self.starts[self.following.get(run.mode_state, run.names[0])]  # type: ignore[return-value]
