"""Lesson 01's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import pytest

from agentnb import Agent, Team, TextMention
from agentnb.apps.demo import newsroom
from agentnb.core.events import TextMessage, ToolCalls, ToolResult
from agentnb.course import check
from agentnb.models import ScriptedModel

SCRIPT = {
    "poet": ["Draft 1: leaves fall", "Draft 2: maple leaves let go"],
    "critic": ["Show the season with an image.", "Much better: a strong image."],
    "editor": ["Not yet. REVISE", "APPROVED. Draft 2 goes in."],
    "illustrator": ["A red leaf on cobblestones.", "Leaves swirling over a path."],
}
TASK = "Write a haiku about autumn leaves."


def haiku(*order: str, script=SCRIPT, **options):
    return Team([Agent(n) for n in order], model=ScriptedModel(script), **options).run_sync(TASK)


# ----- 01.1: a fourth agent -----------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [("poet", "illustrator", "critic", "editor"), ("poet", "critic", "illustrator", "editor")],
)
def test_an_illustrator_between_each_draft_and_its_verdict_is_right(order):
    verdict = check("01.1", haiku(*order, until="APPROVED"))
    assert verdict.ok, verdict.message


def test_an_illustrator_after_the_editor_is_told_the_editor_judged_first():
    verdict = check("01.1", haiku("poet", "critic", "editor", "illustrator", until="APPROVED"))
    assert not verdict.ok
    assert "judged a draft at turn 3 before the illustrator" in verdict.message


def test_a_team_without_the_illustrator_or_without_approval_gets_a_hint():
    missing = check("01.1", haiku("poet", "critic", "editor", until="APPROVED"))
    assert not missing.ok and "participants are poet, critic, editor" in missing.message
    cut = check("01.1", haiku("poet", "illustrator", "critic", "editor", max_turns=4))
    assert not cut.ok and "let it run until the editor says APPROVED" in cut.message


# ----- 01.2: stop on praise -----------------------------------------------------------------

PRAISE = {**SCRIPT, "editor": ["The last line can be better. REVISE", "APPROVED."]}


def test_a_stop_that_listens_to_the_critic_only_is_right():
    verdict = check(
        "01.2", haiku("poet", "critic", "editor", script=PRAISE, stop=TextMention("better", ["critic"]))
    )
    assert verdict.ok, verdict.message


def test_a_stop_that_listens_to_everyone_is_told_who_said_it():
    verdict = check("01.2", haiku("poet", "critic", "editor", script=PRAISE, stop=TextMention("better")))
    assert not verdict.ok
    assert (
        "stopped when the editor said 'better' (turn 3)" in verdict.message and "sources" in verdict.message
    )


def test_a_run_that_did_not_stop_on_praise_is_told_to_add_the_condition():
    verdict = check("01.2", haiku("poet", "critic", "editor", script=PRAISE, until="APPROVED"))
    assert not verdict.ok and "not on the word 'better'" in verdict.message


# ----- 01.3: only the drafts ----------------------------------------------------------------


def poet_drafts(result):
    return [m.content for m in result.chat() if m.source == "poet"]


def test_a_function_that_keeps_the_poets_messages_is_right():
    verdict = check("01.3", poet_drafts)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda result: [m.content for m in result.chat()], "the critic quoted the poet"),
        (lambda result: [m.content for m in result.chat() if "poet" in m.content.lower()], "the critic"),
        (
            lambda result: [e.content for e in result.messages if getattr(e, "source", "") == "poet"],
            "the poet used a tool first",
        ),
        (lambda result: [m for m in result.chat() if m.source == "poet"], "return their text"),
    ],
)
def test_a_function_that_misreads_the_run_is_shown_the_run_it_got_wrong(wrong, hint):
    verdict = check("01.3", wrong)
    assert not verdict.ok and hint in verdict.message


def test_an_answer_that_is_not_a_function_gets_a_hint():
    assert "not a function" in check("01.3", ["Draft 1"]).message


def test_a_function_that_returns_nothing_is_told_so():
    def forgot_to_return(result):
        [m.content for m in result.chat() if m.source == "poet"]

    verdict = check("01.3", forgot_to_return)
    assert not verdict.ok
    assert verdict.message.startswith("your function returned nothing (None)")
    assert "0 items" not in verdict.message and "message.source" not in verdict.message


def test_a_right_function_is_told_why_it_is_right():
    message = check("01.3", poet_drafts).message
    assert message.startswith("correct: on three runs you had not seen") and "message.source" in message


# ----- 01.4: read the tools -----------------------------------------------------------------


@pytest.fixture(scope="module")
def story():
    return newsroom("scripted:newsroom").run_sync("Write the park story.")


def test_the_search_result_with_the_planning_report_is_right(story):
    found = next(e for e in story.messages if isinstance(e, ToolResult) and "14 acres" in e.content)
    verdict = check("01.4", found)
    assert verdict.ok, verdict.message


def test_other_events_get_a_hint_that_says_what_they_are(story):
    other = next(e for e in story.messages if isinstance(e, ToolResult) and "14 acres" not in e.content)
    assert "nothing about the site's size" in check("01.4", other).message
    call = next(e for e in story.messages if isinstance(e, ToolCalls))
    assert "that is the fact-checker's call" in check("01.4", call).message
    said = next(e for e in story.messages if isinstance(e, TextMessage) and e.source == "fact_checker")
    assert "that is what fact_checker said" in check("01.4", said).message
    assert "no answer yet" in check("01.4", None).message
    assert "needs the ToolResult event" in check("01.4", "the planning report").message
