"""Round robin: participants speak in the order given, over and over (across runs too)."""

from __future__ import annotations

from collections.abc import Sequence

from agentnb.core.events import Event
from agentnb.core.modes.base import Choice, Mode, RunView, Start, last_speaker_step


class RoundRobin(Mode):
    """Each participant in turn; the state is the last speaker's name."""

    name = "round_robin"

    def initial(self) -> str | None:
        return None

    def step(self, state: str | None, event: Event) -> str | None:
        return last_speaker_step(state, event)

    def peek(self, state: str | None, names: Sequence[str]) -> tuple[str, ...]:
        index = names.index(state) + 1 if state in names else 0
        return (names[index % len(names)],)

    async def next(self, run: RunView) -> list[Start]:
        speaker = self.peek(run.mode_state, run.names)[0]
        return [Start(speaker, run.participant(speaker), Choice(speaker, "round robin"))]
