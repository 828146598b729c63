"""What a store writes is data: events and run states round-trip as JSON, and nothing else is read."""

from __future__ import annotations

import json
from typing import NamedTuple

import pytest

from agentnb import Agent, Human, Plan, Step, Team
from agentnb.core.events import TextMessage
from agentnb.core.modes.graph import GraphState
from agentnb.core.modes.handoff import Floor
from agentnb.core.modes.plan import PlanState
from agentnb.core.state import RunState
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call, handoff
from agentnb.store import codec
from agentnb.store.codec import Damaged, NotStorable, event_of, event_text, register, state_of, state_text
from tests.store.teams import newsroom, trio


def test_every_event_of_a_run_round_trips_compactly() -> None:
    team = trio(max_turns=6)
    team.run_sync("go")
    for event in team.transcript:
        text = event_text(event)
        assert event_of(text) == event and "\n" not in text
        assert len(text) < len(event.model_dump_json())
    waiting = newsroom()
    waiting.run_sync("Publish.")
    assert [event_of(event_text(e)) for e in waiting.transcript] == list(waiting.transcript)


def test_the_states_of_every_mode_round_trip() -> None:
    plan = Plan(goal="g", steps=[Step(id="s1", description="do", assignee="a")])
    states = [
        RunState(run_start=3, turns=2, stop=(1, None, "met"), mode="a", nested=(("inner", 4),)),
        RunState(mode=GraphState(running=("a",), waiting=("b", "c"), absorbed=(("c", frozenset({"a"})),))),
        RunState(mode=Floor(holder="b", last_agent="a", why="handoff from a")),
        RunState(
            mode=PlanState(
                plan=plan,
                stale=False,
                done={"s1": "done"},
                data={"s1": {"x": [1, 2]}},
                running=frozenset({"s2"}),
                feedback=(TextMessage(source="planner", content="try again"),),
            ),
            stop=(0.5, float("inf")),
        ),
    ]
    for state in states:
        assert state_of(state_text(state)) == state


def test_the_state_of_a_real_handoff_run_round_trips() -> None:
    model = ScriptedModel({"a": [handoff("b")], "b": [call("transfer_to_a"), "done"]}, loop=True)
    team = Team(
        [Agent("a"), Agent("b"), Human("h", input_fn="later")], mode="handoff", model=model, max_turns=4
    )
    team.run_sync("go")
    assert state_of(state_text(team.history.state)) == team.history.state


def test_a_state_holding_an_object_of_its_own_class_is_not_stored() -> None:
    class Mine:
        pass

    with pytest.raises(NotStorable, match="Mine is not stored data"):
        state_text(RunState(stop=Mine()))


def test_a_custom_record_can_be_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "RECORDS", dict(codec.RECORDS))

    class Progress(NamedTuple):
        done: int
        names: tuple[str, ...]

    with pytest.raises(NotStorable):
        state_text(RunState(mode=Progress(1, ("a",))))
    register(Progress)
    assert state_of(state_text(RunState(mode=Progress(1, ("a",))))) == RunState(mode=Progress(1, ("a",)))


@pytest.mark.parametrize(
    "text",
    [
        '{"record": "os.system", "values": []}',
        '{"record": "RunState", "values": [1]}',
        '{"import": "os"}',
        '{"map": [[{"map": []}, 1]]}',
        "not json",
        "[1e999]",
    ],
)
def test_stored_state_that_agentnb_does_not_write_is_refused(text: str) -> None:
    with pytest.raises(Damaged, match="a stored state is damaged"):
        state_of(text)


def test_stored_state_builds_only_the_records_agentnb_knows() -> None:
    crafted = json.dumps({"record": "Floor", "values": ["b", None, "x"]})
    assert state_of(crafted) == Floor("b", None, "x")
