"""Lesson 07's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import json

import pytest

from agentnb import Agent, Human, Predicate, Team, tool
from agentnb.core.events import Handoff
from agentnb.course import check
from agentnb.models import ScriptedModel, call, handoff

# ----- 07.1: approve, edit, reject ----------------------------------------------------------


@tool(requires_approval=True, blocking=False)
def post(text: str, channel: str = "city") -> str:
    """Post a message."""
    return f"posted on {channel}: {text}"


@tool(requires_approval=True, blocking=False)
def unpublish(story: str, reason: str) -> str:
    """Take a story down."""
    return f"{story} is no longer online"


def night(decide) -> object:
    model = ScriptedModel(
        {
            "social": [
                call("post", text="Tonight: the council votes.", channel="city"),
                call("post", text="All 12 acres of it become a park.", channel="city"),
                call("unpublish", story="harmon-park", reason="a complaint"),
                "Done.",
            ]
        }
    )
    desk = Agent("social", tools=[post, unpublish])
    return Team([desk, Human("chief", approve_fn=decide)], max_turns=1, model=model).run_sync("Post.")


def right(agent, c):
    arguments = json.loads(c.arguments)
    if c.name == "unpublish":
        return False, "We print a correction instead."
    if "12 acres" in arguments["text"]:
        return True, "14 acres", {**arguments, "text": arguments["text"].replace("12", "14")}
    return True, ""


def test_approving_the_good_post_editing_the_wrong_one_and_rejecting_the_take_down_is_right():
    verdict = check("07.1", night(right))
    assert verdict.ok, verdict.message


def _unless(name: str, answer):
    """``right``, except for calls that ``name`` picks out, which get ``answer``."""

    def decide(agent, c):
        picked = c.name == name if name == "unpublish" else c.name == "post" and name in c.arguments
        return answer(c) if picked else right(agent, c)

    return decide


@pytest.mark.parametrize(
    ("decide", "hint"),
    [
        (lambda agent, c: (True, ""), "went out as the model wrote it, with '12 acres'"),
        (_unless("12 acres", lambda c: (False, "no")), "it only needs the size fixed"),
        (
            _unless(
                "12 acres", lambda c: (True, "", {**json.loads(c.arguments), "text": "12 acres, really"})
            ),
            "should say 14 acres",
        ),
        (_unless("Tonight", lambda c: (False, "no")), "a post that was right as it was: approve it."),
        (
            _unless("Tonight", lambda c: (True, "", {**json.loads(c.arguments), "channel": "front"})),
            "approve it unchanged",
        ),
        (_unless("unpublish", lambda c: (True, "")), "the story came down"),
        (_unless("unpublish", lambda c: (False, "")), "without saying why"),
    ],
)
def test_each_wrong_decision_gets_a_hint_about_that_call(decide, hint):
    verdict = check("07.1", night(decide))
    assert not verdict.ok and hint in verdict.message


def test_a_run_without_approvals_gets_a_hint():
    run = Team([Agent("social")], max_turns=1, model=ScriptedModel(["hi"])).run_sync("Post.")
    assert "no call in this run was decided by a person" in check("07.1", run).message


# ----- 07.2: hand off to a person -----------------------------------------------------------


def handed_to_customer(event):
    return isinstance(event, Handoff) and event.target == "customer"


def subscriptions(*, stop=None, input_fn=lambda prompt: "(nobody)") -> Team:
    model = ScriptedModel(
        {
            "triage": [handoff("billing")],
            "billing": [{"text": "Which order?", "calls": [handoff("customer")]}, "Refunded. RESOLVED"],
        }
    )
    return Team(
        [
            Agent("triage", handoffs=["billing"]),
            Agent("billing", handoffs=["customer"]),
            Human("customer", input_fn=input_fn),
        ],
        mode="handoff",
        until="RESOLVED",
        stop=stop,
        model=model,
    )


def test_stopping_at_the_handoff_and_answering_with_the_next_task_is_right():
    team = subscriptions(stop=Predicate(handed_to_customer))
    team.run_sync("I was charged twice!")
    team.run_sync("It is order 42.")
    verdict = check("07.2", team)
    assert verdict.ok, verdict.message


def test_a_run_that_asks_the_customer_at_once_is_told_to_stop_at_the_handoff():
    team = subscriptions()
    team.run_sync("I was charged twice!")
    verdict = check("07.2", team)
    assert not verdict.ok and "asked the customer through input_fn ('(nobody)')" in verdict.message


def test_a_run_that_stopped_but_got_no_answer_or_continued_without_it_gets_a_hint():
    waiting = subscriptions(stop=Predicate(handed_to_customer))
    waiting.run_sync("I was charged twice!")
    assert "now give the team the customer's answer" in check("07.2", waiting).message
    waiting.run_sync()
    verdict = check("07.2", waiting)
    assert not verdict.ok and "began without the customer's answer" in verdict.message


def test_a_team_without_a_person_or_a_handoff_to_one_gets_a_hint():
    alone = Team([Agent("billing")], max_turns=1, model=ScriptedModel(["hi"]))
    alone.run_sync("help")
    assert "has no Human" in check("07.2", alone).message
    nobody_asked = Team(
        [Agent("billing"), Human("customer", input_fn=lambda p: "x")],
        max_turns=1,
        model=ScriptedModel(["hi"]),
    )
    nobody_asked.run_sync("help")
    assert "no agent handed off to the customer" in check("07.2", nobody_asked).message
    assert "needs the subscription desk team" in check("07.2", "subscriptions").message


# ----- 07.3: take back an answer ------------------------------------------------------------

DRAFTS = {"writer": ["Park approved", "A 14-acre park approved"]}


def hasty_desk(max_turns: int = 20) -> tuple[Team, Human]:
    chief = Human("chief", input_fn=lambda prompt: "PUBLISH")
    team = Team(
        [Agent("writer"), chief], until="PUBLISH", max_turns=max_turns, model=ScriptedModel(DRAFTS, loop=True)
    )
    team.run_sync("A headline, please.")
    return team, chief


def answers(*said: str):
    said_iter = iter(said)
    return lambda prompt: next(said_iter)


def test_rewinding_before_the_answer_and_continuing_with_new_answers_is_right():
    team, chief = hasty_desk()
    team.rewind(team.checkpoints.find(source="chief")[0])
    chief.input_fn = answers("Put the size in.", "PUBLISH")
    team.run_sync()
    verdict = check("07.3", team)
    assert verdict.ok, verdict.message


def test_the_team_as_it_was_is_told_to_rewind_before_the_answer():
    team, _ = hasty_desk()
    verdict = check("07.3", team)
    assert not verdict.ok and "still publishes the first draft" in verdict.message


def test_a_rewound_team_that_has_not_run_or_a_new_task_gets_a_hint():
    team, chief = hasty_desk()
    team.rewind(team.checkpoints.find(source="chief")[0])
    assert "has not run since" in check("07.3", team).message
    chief.input_fn = answers("Put the size in.", "PUBLISH")
    team.run_sync("A headline, please.")
    verdict = check("07.3", team)
    assert not verdict.ok and "has 2 tasks" in verdict.message


def test_a_new_answer_that_does_not_lead_to_publishing_is_told_to_let_the_writer_revise():
    team, chief = hasty_desk(max_turns=4)
    team.rewind(team.checkpoints.find(source="chief")[0])
    chief.input_fn = answers("Put the size in.", "Let me think about it.")
    team.run_sync()
    verdict = check("07.3", team)
    assert not verdict.ok and "let the writer revise and the chief publish" in verdict.message
