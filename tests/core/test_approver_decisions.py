"""An approver function's answer: only a real yes runs the call, and its no reads as the approver's.

An approver answers True/False or (approved, comment[, edited arguments]) with a real bool.
Anything else — ("no", ...), ("False", ""), "yes", None, 1 — is not a decision: the call does
not run and the run ends with an error that quotes the answer and says what to answer
(approval fails closed). A rejection by a function reads "The approver rejected…": no person
was asked.
"""

from __future__ import annotations

from typing import Any

import pytest

from agentnb import Agent, Human, RunError, Team
from agentnb.core.events import Approval, ToolResult
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from tests.core.publishing import RAN, publish

CALL = 'publish({"headline": "Park opens"})'


@pytest.fixture(autouse=True)
def _nothing_ran() -> None:
    RAN.clear()


def desk(approver: Any, *others: Any) -> Team:
    model = ScriptedModel({"desk": [call("publish", headline="Park opens"), "Done."]}, stateless=True)
    return Team([Agent("desk", tools=[publish]), *others], model=model, max_turns=1, approver=approver)


def the_result(team: Team) -> ToolResult:
    [result] = [e for e in team.transcript if isinstance(e, ToolResult)]
    return result


NOT_DECISIONS = [
    ("no", "looks risky"),
    ("False", ""),
    ("yes",),
    "yes",
    "no",
    None,
    1,
    0,
    (1, "one is not True"),
    (),
    [True],
    (True, "a comment", None, "a fourth item"),
    {"approved": True},
]


@pytest.mark.parametrize("answer", NOT_DECISIONS, ids=repr)
def test_an_approver_answer_that_is_not_a_real_decision_never_runs_the_call(answer: Any) -> None:
    team = desk(lambda agent, c: answer)
    with pytest.raises(RunError) as info:
        team.run_sync("Publish it.")
    message = str(info.value)
    assert f"approver: for {CALL} it answered {answer!r}; answer True or False" in message
    assert message.endswith("(the call did not run)")
    assert RAN == []
    assert not any(isinstance(e, Approval) and e.approved for e in team.transcript)
    closed = the_result(team)  # what the model reads: the call did not run, and why
    assert closed.is_error and "the call did not run" in closed.content
    assert info.value.result.stop_reason.startswith("error: approver:") and team.transcript[-1].failed


@pytest.mark.parametrize(
    ("answer", "ran"),
    [(True, True), ((True, "fine"), True), (False, False), ((False, "not today"), False)],
)
def test_a_real_yes_runs_the_call_and_a_real_no_does_not(answer: Any, ran: bool) -> None:
    team = desk(lambda agent, c: answer)
    team.run_sync("Publish it.")
    assert (RAN == ["Park opens"]) is ran and the_result(team).is_error is not ran


async def async_no(agent: str, c: Any) -> Any:
    return ("no", "awaited")


def test_an_async_approver_that_answers_no_as_text_does_not_approve_either() -> None:
    with pytest.raises(RunError, match=r"it answered \('no', 'awaited'\)"):
        desk(async_no).run_sync("Publish it.")
    assert RAN == []


def test_an_approver_functions_rejection_reads_the_approver_rejected_in_the_model_and_the_chat() -> None:
    team = desk(lambda agent, c: (False, "not before the council votes"))
    result = team.run_sync("Publish it.")
    said = f"The approver rejected the call {CALL}. They said: not before the council votes"
    assert the_result(team).content == said  # what the model reads
    [approval] = [e for e in team.transcript if isinstance(e, Approval)]
    assert (approval.source, approval.approved) == ("approver", False)
    chat = result._repr_mimebundle_()  # what a notebook shows; print(result) is its text/plain
    assert set(chat) == {"text/plain", "text/markdown", "text/html"}
    for shown in chat.values():
        assert "The approver rejected the call publish(" in shown
        assert "approver rejected publish: not before the council votes" in shown.replace("`", "")
        assert "human" not in shown.lower()


def test_a_persons_rejection_names_the_person() -> None:
    team = desk(None, Human("alice", input_fn="later"))
    team.run_sync("Publish it.")
    team.reject(team.pending()[0].call_id, "wait for the vote")
    team.run_sync()
    said = f"The human (alice) rejected the call {CALL}. They said: wait for the vote"
    assert the_result(team).content == said
