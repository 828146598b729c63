"""What falls out of a run's state being a value: next, pauses, breakpoints, a message written as a
participant, a lone agent's state, and a reply cut off while it streamed."""

from __future__ import annotations

import asyncio
from typing import Any

from agentnb import Agent, Predicate, Team, TextMessage
from agentnb.core.events import SpeakerSelected, Stop
from agentnb.core.plan import Plan, Step
from agentnb.models import FunctionModel, ScriptedModel


def counted(name_replies: dict[str, list[str]], **options: Any) -> tuple[ScriptedModel, dict[str, int]]:
    calls: dict[str, int] = {}

    def reply(request: Any) -> str:
        calls[request.agent] = calls.get(request.agent, 0) + 1
        replies = name_replies[request.agent]
        return replies[(calls[request.agent] - 1) % len(replies)]

    return FunctionModel(reply, **options), calls


def newsroom(**options: Any) -> tuple[Team, dict[str, int]]:
    model, calls = counted({"writer": ["draft"], "editor": ["edited"], "publisher": ["PUBLISHED"]})
    agents = [Agent("writer"), Agent("editor"), Agent("publisher")]
    return Team(agents, model=model, **{"max_turns": 6, **options}), calls


def test_state_next_says_who_runs_first_on_the_next_run():
    team, _ = newsroom(max_turns=2)
    assert team.state().next == ("writer",)
    team.run_sync("write")
    state = team.state()
    assert state.next == ("publisher",) and not state.running and state.turns == 2
    graph = Team([Agent("a"), Agent("b")], mode="sequential", model=ScriptedModel({"*": ["ok"]}, loop=True))
    graph.run_sync("go")
    assert graph.state().next == ()  # the graph is done
    fixed = Plan(steps=[Step(id="s", description="s", assignee="a")])
    planned = Team([Agent("a")], mode="plan", planner=fixed)
    assert planned.state().next == ()  # a fixed plan, no task yet: nothing to run


def test_a_message_written_as_a_participant_is_that_participants_turn():
    team, calls = newsroom(max_turns=2)
    team.run_sync("write")  # writer, editor
    result = team.run_sync(TextMessage(source="publisher", content="Correction: the vote was 7-2."))
    chosen = [e for e in result.messages if isinstance(e, SpeakerSelected)]
    expected = [("publisher", "written by the user"), ("writer", "round robin")]
    assert [(e.speaker, e.reason) for e in chosen] == expected
    assert "publisher" not in calls  # the person wrote it: no model was asked
    assert result.turns == 2


def test_a_message_written_into_an_open_turn_goes_on_in_that_run():
    """Rewound to just before the editor's reply, the person writes it: the run is not closed
    (no "a new task started" Stop), the message is the editor's turn, and the run goes on."""
    team, calls = newsroom(max_turns=4)
    team.run_sync("write")
    team.rewind(team.checkpoints.find(source="editor")[0])
    assert team.state().running and team.state().next == ("editor",)
    result = team.run_sync(TextMessage(source="editor", content="Edited by hand."))
    stops = [e.reason for e in team.transcript if isinstance(e, Stop)]
    assert stops == ["max turns reached (4)"], stops
    assert [m.source for m in result.chat()][:3] == ["user", "writer", "editor"]
    assert calls["editor"] == 1  # only the first, rewound-away call: the person wrote this one


def test_interrupt_before_pauses_before_a_speaker_and_run_goes_on_with_it():
    team, calls = newsroom(interrupt_before=["publisher"])
    first = team.run_sync("write")
    assert "paused before publisher" in first.stop_reason and "publisher" not in calls
    assert team.state().next == ("publisher",)
    second = team.run_sync()
    assert second.chat()[0].source == "publisher" and calls["publisher"] == 1
    assert not [e for e in second.messages if isinstance(e, SpeakerSelected) and e.speaker == "publisher"][1:]


def test_a_breakpoint_on_speaker_selected_stops_before_that_turn_and_does_not_fire_again():
    is_editor = lambda e: isinstance(e, SpeakerSelected) and e.speaker == "editor"  # noqa: E731
    before_editor = Predicate(is_editor, "before_editor")
    team, calls = newsroom(stop=before_editor)
    first = team.run_sync("write")
    assert first.stop_reason == "before_editor returned true" and "editor" not in calls
    assert team.state().next == ("editor",)
    second = team.run_sync()
    assert second.chat()[0].source == "editor" and calls["editor"] == 1


def test_pause_lets_the_turn_in_flight_finish_and_resume_goes_on():
    model, calls = counted({"a": ["one"], "b": ["two"]}, latency=0.05)
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=50)

    async def pause_soon() -> Any:
        running = asyncio.ensure_future(team.run("go"))
        await asyncio.sleep(0.12)
        team.pause()
        return await running

    paused = asyncio.run(pause_soon())
    assert paused.stop_reason == "paused by the user" and 1 <= paused.turns < 50
    assert not any(m.cut_off for m in paused.chat())  # the turn in flight was let finish
    done_before = sum(calls.values())
    team.condition = team.condition  # (unchanged) conditions can be set between runs
    resumed = team.resume()
    result = asyncio.run(_await(resumed, 0.2, team))
    assert sum(calls.values()) > done_before and result.turns >= 1


async def _await(pending: Any, after: float, team: Team) -> Any:
    running = asyncio.ensure_future(pending)
    await asyncio.sleep(after)
    team.stop()
    return await running


def test_a_lone_agents_conversation_is_a_state_it_can_save_and_load():
    agent = Agent("tutor", model=ScriptedModel({"tutor": ["first", "second", "third"]}))
    agent.run_sync("hello")
    saved = agent.state().to_dict()
    agent.run_sync("again")
    again = Agent("tutor", model=ScriptedModel({"tutor": ["second", "third"]}))
    again.load_state(saved)
    assert again.run_sync("again").final == "second"
    transcript = again.state().to_dict()["transcript"]
    assert [m["content"] for m in transcript if m["type"] == "text"][:2] == ["hello", "first"]


def test_a_stop_while_a_reply_streams_keeps_what_arrived_marked_cut_off():
    model = ScriptedModel({"a": ["one two three four five six seven eight nine ten"]}, token_latency=0.05)
    team = Team([Agent("a")], model=model, max_turns=1)

    async def stop_mid_reply() -> Any:
        seen = []
        async for event in team.stream("go"):
            seen.append(event)
            if sum(1 for e in seen if e.type == "token") == 3:
                team.stop()
        return seen

    events = asyncio.run(stop_mid_reply())
    cut = [e for e in team.transcript if isinstance(e, TextMessage) and e.cut_off]
    assert len(cut) == 1 and cut[0].content.startswith("one two three") and cut[0].source == "a"
    assert isinstance(events[-1], Stop) and events[-1].reason == "stopped by the user"
    assert "cut off" in str(team.last_result)
