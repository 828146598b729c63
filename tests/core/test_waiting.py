"""Waiting for a person is a state: approvals and answers decided later, then the run goes on."""

from __future__ import annotations

from typing import Any

import pytest

from agentnb import Agent, ConfigError, Human, Team, tool
from agentnb.core.events import Approval, ApprovalRequested, Stop, TextMessage, ToolResult
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call

RAN: list[str] = []


@tool(requires_approval=True, blocking=False)
def publish(headline: str) -> str:
    """Publish a story."""
    RAN.append(headline)
    return f"published {headline}"


def desk(*replies: Any, **options: Any) -> Team:
    script = {"desk": [*replies, "Done."], "editor": ["Good."]}
    options.setdefault("approver", "later")
    options.setdefault("max_turns", 2)
    model = ScriptedModel(script, stateless=True)
    return Team([Agent("desk", tools=[publish]), Agent("editor")], model=model, **options)


@pytest.fixture(autouse=True)
def _nothing_ran() -> None:
    RAN.clear()


def kinds(events: Any) -> list[str]:
    return [type(e).__name__ for e in events]


def test_a_call_needing_approval_later_ends_the_run_waiting_for_it() -> None:
    team = desk(call("publish", headline="Park opens"))
    result = team.run_sync("Publish it.")
    stop = result.messages[-1]
    assert isinstance(stop, Stop) and stop.waiting and not stop.failed
    assert stop.reason == result.stop_reason == "awaiting approval of publish (call call_desk_1_0)"
    assert kinds(result.messages[-3:]) == ["ToolCalls", "ApprovalRequested", "Stop"]
    asked = result.messages[-2]
    assert isinstance(asked, ApprovalRequested) and asked.arguments == '{"headline": "Park opens"}'
    [waiting] = team.pending()
    assert (waiting.kind, waiting.who, waiting.agent, waiting.call_id) == (
        "approval",
        "approver",
        "desk",
        "call_desk_1_0",
    )
    assert "team.approve('call_desk_1_0')" in str(waiting)
    assert RAN == [] and team.state().waiting and team.state().next == ("desk",)


def test_an_approval_decided_later_runs_the_call_and_the_run_goes_on() -> None:
    now = desk(call("publish", headline="Park opens"), approver=lambda agent, c: True)
    later = desk(call("publish", headline="Park opens"))
    later.run_sync("Publish it.")
    later.approve("call_desk_1_0", comment="fine")
    result = later.run_sync()
    assert RAN == ["Park opens"] and not later.pending()
    assert [(m.source, m.content) for m in result.chat()] == [
        (m.source, m.content) for m in now.run_sync("Publish it.").chat()[1:]
    ]
    approval = next(e for e in later.transcript if isinstance(e, Approval))
    assert (approval.source, approval.approved, approval.comment) == ("approver", True, "fine")
    assert result.stop_reason == "max turns reached (2)" and not result.messages[-1].waiting


def test_a_rejection_decided_later_gives_the_agent_the_reason() -> None:
    team = desk(call("publish", headline="Park opens"))
    team.run_sync("Publish it.")
    team.reject("call_desk_1_0", "not before the council votes")
    result = team.run_sync()
    rejected = next(e for e in result.messages if isinstance(e, ToolResult))
    assert RAN == [] and rejected.is_error
    assert rejected.content == (
        'The approver rejected the call publish({"headline": "Park opens"}). '
        "They said: not before the council votes"
    )


def test_an_approval_may_edit_the_arguments_that_run() -> None:
    team = desk(call("publish", headline="Park opens"))
    team.run_sync("Publish it.")
    team.approve("call_desk_1_0", edit={"headline": "Park opens in June"})
    team.run_sync()
    assert RAN == ["Park opens in June"]
    approval = next(e for e in team.transcript if isinstance(e, Approval))
    assert approval.arguments == '{"headline": "Park opens in June"}'


def test_running_again_without_a_decision_waits_again_and_records_nothing_twice() -> None:
    team = desk(call("publish", headline="Park opens"))
    team.run_sync("Publish it.")
    again = team.run_sync()
    assert again.messages[-1].waiting and again.stop_reason.startswith("awaiting approval of publish")
    assert kinds(team.transcript).count("ApprovalRequested") == 1
    assert kinds(team.transcript).count("ToolCalls") == 1 and RAN == []


def test_calls_of_one_reply_wait_together_and_are_decided_one_by_one() -> None:
    both = {"calls": [call("publish", headline="A"), call("publish", headline="B")]}
    team = desk(both)
    result = team.run_sync("Publish both.")
    assert (
        result.stop_reason
        == "awaiting approval of publish (call call_desk_1_0) and publish (call call_desk_1_1)"
    )
    team.approve("call_desk_1_1")
    assert [p.call_id for p in team.pending()] == ["call_desk_1_0"]
    assert team.run_sync().stop_reason == "awaiting approval of publish (call call_desk_1_0)"
    team.reject("call_desk_1_0", "no")
    team.run_sync()
    results = {e.call_id: e.is_error for e in team.transcript if isinstance(e, ToolResult)}
    assert RAN == ["B"] and results == {"call_desk_1_0": True, "call_desk_1_1": False}


def test_a_person_who_answers_later_ends_the_run_waiting_for_their_answer() -> None:
    model = ScriptedModel({"desk": ["Shall I publish?", "Publishing."]}, stateless=True)
    team = Team([Agent("desk"), Human("alice", input_fn="later")], model=model, max_turns=3)
    result = team.run_sync("Ask Alice.")
    assert result.stop_reason == "awaiting an answer from alice" and result.messages[-1].waiting
    [waiting] = team.pending()
    assert (waiting.kind, waiting.who, str(waiting)) == (
        "answer",
        "alice",
        "an answer from alice: team.answer('alice', text)",
    )
    team.answer("alice", "Yes, go ahead.")
    result = team.run_sync()
    assert [(m.source, m.content) for m in team.transcript if isinstance(m, TextMessage)] == [
        ("user", "Ask Alice."),
        ("desk", "Shall I publish?"),
        ("alice", "Yes, go ahead."),
        ("desk", "Publishing."),
    ]
    assert result.stop_reason == "awaiting an answer from alice"  # her next turn waits again


def test_a_person_who_answers_later_also_approves_later() -> None:
    model = ScriptedModel({"desk": [call("publish", headline="A"), "Done."]}, stateless=True)
    team = Team([Agent("desk", tools=[publish]), Human("alice", input_fn="later")], model=model, max_turns=1)
    team.run_sync("Publish.")
    [waiting] = team.pending()
    assert (waiting.who, waiting.agent) == ("alice", "desk")
    team.approve(waiting.call_id)
    team.run_sync()
    assert RAN == ["A"] and next(e for e in team.transcript if isinstance(e, Approval)).source == "alice"


def no_terminal(prompt: str) -> str:
    raise EOFError("EOF when reading a line")  # what input() does when standard input is closed


def test_a_person_with_no_terminal_to_ask_answers_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """A team run in a server or a worker (stdin closed) waits for the person, not fails with EOFError."""
    monkeypatch.setattr("builtins.input", no_terminal)
    model = ScriptedModel({"desk": ["Shall I publish?", "Publishing."]}, stateless=True)
    alice = Human("alice")
    team = Team([Agent("desk"), alice], model=model, max_turns=3)
    result = team.run_sync("Ask Alice.")
    assert result.stop_reason == "awaiting an answer from alice" and alice.answers_later
    team.answer("alice", "Yes.")
    team.run_sync()
    assert [m.content for m in team.transcript if isinstance(m, TextMessage)][-2:] == ["Yes.", "Publishing."]


def test_an_approval_with_no_terminal_to_ask_waits_and_a_function_that_fails_still_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("builtins.input", no_terminal)
    model = ScriptedModel({"desk": [call("publish", headline="A"), "Done."]}, stateless=True)
    team = Team([Agent("desk", tools=[publish]), Human("alice")], model=model, max_turns=1)
    assert team.run_sync("Publish.").stop_reason.startswith("awaiting approval of publish")
    assert RAN == []
    own = Human("bob", input_fn=lambda prompt: no_terminal(prompt))  # their own function's error is the run's
    with pytest.raises(Exception, match="EOF when reading a line"):
        Team([Agent("desk"), own], model=ScriptedModel({"desk": ["Hi."]}), max_turns=2).run_sync("go")


def test_deciding_what_does_not_wait_says_what_does() -> None:
    team = desk(call("publish", headline="A"))
    with pytest.raises(
        ConfigError, match=r"call 'x' does not wait for approval \(no call waits for approval"
    ):
        team.approve("x")
    team.run_sync("Publish.")
    with pytest.raises(ConfigError, match=r"calls waiting for approval: call_desk_1_0"):
        team.reject("call_desk_1_1")
    with pytest.raises(ConfigError, match=r"does not wait for 'bob' to answer \(it waits for no answer"):
        team.answer("bob", "hi")
    with pytest.raises(ConfigError, match="edit: expected a dict of arguments to change, or JSON text"):
        team.approve("call_desk_1_0", edit=3)


def test_a_new_task_ends_the_waiting_run_and_cancels_its_calls() -> None:
    team = desk(call("publish", headline="A"))
    team.run_sync("Publish.")
    team.run_sync("Forget it.")
    cancelled = next(e for e in team.transcript if isinstance(e, ToolResult))
    assert cancelled.is_error and "ended: a new task started" in cancelled.content
    assert not team.pending() and RAN == []


def test_modes_that_run_turns_at_once_refuse_to_wait_for_a_person() -> None:
    with pytest.raises(ConfigError, match="mode 'graph' runs turns at once"):
        Team(
            [Agent("desk", tools=[publish]), Agent("editor")],
            mode="graph",
            edges=[("desk", "editor")],
            approver="later",
        )
    with pytest.raises(ConfigError, match=r"approver: expected a function .* or 'later'"):
        Team([Agent("desk")], approver="soon")
    with pytest.raises(ConfigError, match=r"input_fn: expected a function .* or 'later'"):
        Human("alice", input_fn="tomorrow")


def test_interrupt_before_pauses_and_run_goes_on_with_that_speaker() -> None:
    model = ScriptedModel({"desk": ["Draft.", "Thanks."], "editor": ["Good."]}, stateless=True)
    team = Team([Agent("desk"), Agent("editor")], model=model, max_turns=2, interrupt_before="editor")
    paused = team.run_sync("Write.")
    assert paused.stop_reason.startswith("paused before editor") and team.state().next == ("editor",)
    assert [m.source for m in team.run_sync().chat()] == ["editor", "desk"]
