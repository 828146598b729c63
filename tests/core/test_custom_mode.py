"""A mode written outside agentnb, from the public contract (`agentnb.modes.Mode`): its state is
folded from the events, so rewind, fork, save and load work for it as for the built-in modes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentnb import Agent, Team, modes
from agentnb.core.events import Event, SpeakerSelected, TextMessage
from agentnb.models import FunctionModel


class Quietest(modes.Mode):
    """The participant who has spoken least goes next (ties: the order given)."""

    name = "quietest"

    def __init__(self) -> None:
        self.names: list[str] = []

    def bind(self, names: Sequence[str], participants: Sequence[Any]) -> None:
        self.names = list(names)

    def initial(self) -> tuple[tuple[str, int], ...]:
        return ()

    def step(self, state: tuple[tuple[str, int], ...], event: Event) -> tuple[tuple[str, int], ...]:
        if isinstance(event, SpeakerSelected) and not event.scope:
            counts = dict(state)
            counts[event.speaker] = counts.get(event.speaker, 0) + 1
            return tuple(sorted(counts.items()))
        return state

    def peek(self, state: tuple[tuple[str, int], ...], names: Sequence[str]) -> tuple[str, ...]:
        counts = dict(state)
        return (min(names, key=lambda name: counts.get(name, 0)),)

    def next(self, run: modes.RunView) -> list[modes.Start | Event]:
        (speaker,) = self.peek(run.mode_state, run.names)
        choice = modes.Choice(speaker, "spoke least")
        return [modes.Start(speaker, run.participant(speaker), choice)]


def chatty_team(**options: Any) -> Team:
    # "a" would hog the floor under most modes: its replies are long. Quietest does not care.
    model = FunctionModel(lambda request: f"{request.agent} speaks")
    return Team([Agent("a"), Agent("b"), Agent("c")], mode=Quietest(), model=model, **options)


def spoken(events: Sequence[Event]) -> list[str]:
    return [e.source for e in events if isinstance(e, TextMessage) and e.source != "user"]


def test_a_custom_mode_decides_who_speaks_and_says_who_is_next():
    team = chatty_team(max_turns=4)
    result = team.run_sync("talk")
    assert spoken(result.messages) == ["a", "b", "c", "a"]
    assert [e.reason for e in result.messages if isinstance(e, SpeakerSelected)] == ["spoke least"] * 4
    assert team.state().next == ("b",) and team.mode == "quietest"


def test_a_custom_modes_state_survives_rewind_fork_save_and_load(tmp_path: Path):
    team = chatty_team(max_turns=4)
    team.run_sync("talk")
    fork = team.fork(team.checkpoints.find(source="c")[0])  # before c's reply: c has been chosen
    assert fork.state().next == ("c",)  # c was chosen and has not replied: its turn goes on
    resumed = fork.run_sync()  # the open run goes on: c replies (turn 3), then a (turn 4, the last)
    assert spoken(resumed.messages) == ["a", "b", "c", "a"] and resumed.turns == 4
    path = team.save(tmp_path / "team.json")
    loaded = Team.load(path, [Agent("a"), Agent("b"), Agent("c")], mode=Quietest(), model=team.model)
    assert loaded.state().next == team.state().next == ("b",)
    assert spoken(loaded.run_sync("again").messages) == ["b", "c", "a", "b"]
