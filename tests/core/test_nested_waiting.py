"""A team inside another team that would wait for a person ends its turn without an answer.

Only the top run waits for a person (README, limits). A nested team (a participant, or a team
used through ``as_tool()``) whose approval or `Human` answer is decided later ends its turn,
and the outer run goes on; what the outer run reads says the team has no answer and what it
waited for, not a draft written before the wait.
"""

from __future__ import annotations

from typing import Any

import pytest

from agentnb import Agent, Human, Team
from agentnb.core.events import Stop, TextMessage, ToolResult
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from tests.core.publishing import RAN, publish

NESTED = "a team inside another team does not wait for a person"


@pytest.fixture(autouse=True)
def _nothing_ran() -> None:
    RAN.clear()


def top_level(team: Team) -> list[tuple[str, str]]:
    """The outer conversation as (speaker, text): what the outer agents read."""
    return [(m.source, m.content) for m in team.transcript if isinstance(m, TextMessage) and not m.scope]


def scoped(team: Team, kind: type) -> list[Any]:
    return [e for e in team.transcript if isinstance(e, kind) and e.scope == "desk"]


def desk_waiting_for_alice(model: ScriptedModel) -> Team:
    return Team([Agent("writer"), Human("alice", input_fn="later")], name="desk", model=model, max_turns=3)


def desk_waiting_for_approval(model: ScriptedModel) -> Team:
    return Team([Agent("writer", tools=[publish])], name="desk", model=model, max_turns=2, approver="later")


def test_a_nested_team_waiting_for_a_persons_answer_ends_its_turn_without_an_answer() -> None:
    model = ScriptedModel({"lead": ["Go on.", "Thanks."], "writer": ["Draft one."]}, stateless=True)
    desk = desk_waiting_for_alice(model)
    outer = Team([Agent("lead"), desk], model=model, max_turns=3)
    result = outer.run_sync("Write.")
    note = f"(the team stopped without an answer: awaiting an answer from alice; {NESTED})"
    assert top_level(outer) == [("user", "Write."), ("lead", "Go on."), ("desk", note), ("lead", "Thanks.")]
    assert result.stop_reason == "max turns reached (3)" and not result.messages[-1].waiting
    assert outer.pending() == []  # the outer run does not wait: nobody there can answer for alice
    # the draft and the nested run's own stop stay in its scoped events
    assert [(m.source, m.content) for m in scoped(outer, TextMessage)][-1] == ("writer", "Draft one.")
    assert [s.reason for s in scoped(outer, Stop)] == ["awaiting an answer from alice"]


def test_a_nested_team_waiting_for_an_approval_ends_its_turn_and_the_call_never_runs() -> None:
    model = ScriptedModel(
        {"lead": ["Go on.", "Thanks."], "writer": [call("publish", headline="Park opens")]}, stateless=True
    )
    outer = Team([Agent("lead"), desk_waiting_for_approval(model)], model=model, max_turns=3)
    result = outer.run_sync("Publish.")
    waited = "awaiting approval of publish (call call_writer_1_0)"
    assert top_level(outer)[2:] == [
        ("desk", f"(the team stopped without an answer: {waited}; {NESTED})"),
        ("lead", "Thanks."),
    ]
    assert result.stop_reason == "max turns reached (3)" and outer.pending() == []
    [closed] = scoped(outer, ToolResult)  # the waiting call is closed when the outer run ends
    assert closed.is_error and closed.content.startswith("Error: cancelled because the run stopped")
    assert RAN == []


def test_a_team_used_as_a_tool_that_waits_for_a_person_answers_the_call_without_an_answer() -> None:
    model = ScriptedModel(
        {"lead": [call("desk", task="Write it."), "I will ask again later."], "writer": ["Draft one."]},
        stateless=True,
    )
    outer = Team([Agent("lead", tools=[desk_waiting_for_alice(model).as_tool()])], model=model, max_turns=1)
    result = outer.run_sync("Write.")
    [answer] = [e for e in outer.transcript if isinstance(e, ToolResult) and not e.scope]
    assert answer.content == f"(the team stopped without an answer: awaiting an answer from alice; {NESTED})"
    assert result.final == "I will ask again later." and result.stop_reason == "max turns reached (1)"
    assert ("writer", "Draft one.") in [(m.source, m.content) for m in scoped(outer, TextMessage)]


def test_a_team_used_as_a_tool_that_waits_for_an_approval_says_which_call_waited() -> None:
    model = ScriptedModel(
        {"lead": [call("desk", task="Publish it."), "Noted."], "writer": [call("publish", headline="A")]},
        stateless=True,
    )
    desk = desk_waiting_for_approval(model).as_tool()
    outer = Team([Agent("lead", tools=[desk])], model=model, max_turns=1)
    outer.run_sync("Publish.")
    [answer] = [e for e in outer.transcript if isinstance(e, ToolResult) and not e.scope]
    waited = "awaiting approval of publish (call call_writer_1_0)"
    assert answer.content == f"(the team stopped without an answer: {waited}; {NESTED})"
    assert not answer.is_error and RAN == [] and outer.pending() == []
