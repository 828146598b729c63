"""Lesson 08's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from pydantic_evals.evaluators import Evaluator, EvaluatorContext

from agentnb import Agent, Team
from agentnb.core.plan import Plan, Step
from agentnb.course import check
from agentnb.course.newsdesk import ARCHIVE, newsdesk, search_archive
from agentnb.memory import MemoryStore

DAY_ONE = "A short story on the council's vote on the Harmon rail yard."
DAY_TWO = "A short story on the first trees planted at the Harmon park."


def newsroom(store=None, *, extra=(), planner=None, **options) -> Team:
    desks = [
        Agent("researcher", tools=[search_archive], memory=store),
        Agent("reporter"),
        Agent("writer"),
        Agent("fact_checker", tools=[search_archive]),
        Agent("editor"),
        *extra,
    ]
    return Team(desks, mode="plan", planner=planner or Agent("planner"), model=newsdesk(), **options)


# ----- 08.1: a photo desk -------------------------------------------------------------------


def test_a_photographer_planned_beside_the_research_and_waited_for_is_right():
    verdict = check("08.1", newsroom(extra=[Agent("photographer")]).run_sync(DAY_ONE))
    assert verdict.ok, verdict.message


def test_a_newsroom_without_a_photographer_or_without_a_plan_gets_a_hint():
    assert "add an Agent called photographer" in check("08.1", newsroom().run_sync(DAY_ONE)).message
    chat = Team([Agent("photographer")], max_turns=1, model=newsdesk()).run_sync(DAY_ONE)
    assert "made no plan" in check("08.1", chat).message


def fixed(photo_after: tuple[str, ...], publish_after: tuple[str, ...]) -> Plan:
    return Plan(
        steps=[
            Step(id="background", description="facts", assignee="researcher"),
            Step(id="quote", description="a quote", assignee="reporter"),
            Step(id="photo", description="a photo", assignee="photographer", depends_on=photo_after),
            Step(id="draft", description="write", assignee="writer", depends_on=("background", "quote")),
            Step(id="publish", description="publish", assignee="editor", depends_on=publish_after),
        ]
    )


@pytest.mark.parametrize(
    ("plan", "hint"),
    [
        (fixed(("background",), ("draft", "photo")), "did not run at the same time as the research"),
        (fixed((), ("draft",)), "the editor published without waiting for the photo"),
    ],
)
def test_a_photo_step_that_waits_or_is_not_waited_for_gets_a_hint(plan, hint):
    verdict = check("08.1", newsroom(extra=[Agent("photographer")], planner=plan).run_sync(DAY_ONE))
    assert not verdict.ok and hint in verdict.message


def test_a_plan_that_gives_the_photographer_nothing_or_did_not_finish_gets_a_hint():
    idle = fixed((), ("draft",)).model_copy(
        update={"steps": tuple(s for s in fixed((), ("draft",)).steps if s.id != "photo")}
    )
    result = newsroom(extra=[Agent("photographer")], planner=idle).run_sync(DAY_ONE)
    assert "gives the photographer nothing to do" in check("08.1", result).message
    cut = newsroom(extra=[Agent("photographer")], max_turns=2).run_sync(DAY_ONE)
    assert "the plan did not finish" in check("08.1", cut).message


# ----- 08.2: correct the memory -------------------------------------------------------------


@pytest.fixture
def stale(tmp_path):
    store = MemoryStore(tmp_path / "stale.db")
    store.remember("The Harmon rail yard site covers 12 acres.", by="intern", why="heard it")
    yield store
    store.close()


@pytest.mark.parametrize(
    "correct",
    [
        lambda store: store.update(
            1, "The Harmon rail yard site covers 14 acres.", by="editor", why="the report"
        ),
        lambda store: store.forget(1, by="editor", why="it is wrong"),
    ],
)
def test_a_stale_fact_corrected_in_place_and_a_cleared_story_are_right(stale, correct):
    correct(stale)
    verdict = check("08.2", (stale, newsroom(stale).run_sync(DAY_TWO)))
    assert verdict.ok, verdict.message


def test_an_uncorrected_memory_is_told_which_fact_the_researcher_recalls(stale):
    verdict = check("08.2", (stale, newsroom(stale).run_sync(DAY_TWO)))
    assert not verdict.ok and "fact #1 still says '12 acres'" in verdict.message


def test_a_new_fact_beside_the_stale_one_does_not_correct_it(stale):
    stale.remember("The site is 14 acres.", by="editor", why="the report")
    verdict = check("08.2", (stale, newsroom(stale).run_sync(DAY_TWO)))
    assert not verdict.ok and "nothing in the audit changed it" in verdict.message


def test_a_run_from_before_the_correction_gets_a_hint(stale):
    before = newsroom(stale).run_sync(DAY_TWO)
    stale.update(1, "The Harmon rail yard site covers 14 acres.", by="editor", why="the report")
    verdict = check("08.2", (stale, before))
    assert not verdict.ok and "still did not clear the story" in verdict.message


def test_a_correction_without_a_reason_gets_a_hint(stale):
    stale.update(1, "The Harmon rail yard site covers 14 acres.", by="editor", why=" ")
    verdict = check("08.2", (stale, newsroom(stale).run_sync(DAY_TWO)))
    assert not verdict.ok and "without a reason" in verdict.message


def test_a_fresh_store_without_the_interns_fact_gets_a_hint(tmp_path):
    with MemoryStore(tmp_path / "fresh.db") as fresh:
        verdict = check("08.2", (fresh, newsroom(fresh).run_sync(DAY_TWO)))
    assert not verdict.ok and "no trace of the intern's 12-acre fact" in verdict.message


# ----- 08.3: an eval with teeth -------------------------------------------------------------


@dataclass
class NumbersFromTheArchive(Evaluator):
    def evaluate(self, ctx: EvaluatorContext) -> bool:
        return set(re.findall(r"\d+", ctx.output)) <= set(re.findall(r"\d+", " ".join(ARCHIVE)))


@dataclass
class Always(Evaluator):
    verdict: bool = True

    def evaluate(self, ctx: EvaluatorContext) -> bool:
        return self.verdict


def test_an_evaluator_that_compares_the_storys_numbers_with_the_archive_is_right():
    verdict = check("08.3", NumbersFromTheArchive())
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (Always(True), "passes the careless newsroom's story on 'vote'"),
        (Always(False), "fails the careful newsroom's story on 'vote'"),
        (NumbersFromTheArchive, "that is the class"),
        (lambda ctx: True, "not a pydantic-evals Evaluator"),
    ],
)
def test_an_evaluator_without_teeth_or_that_bites_everyone_gets_a_hint(answer, hint):
    verdict = check("08.3", answer)
    assert not verdict.ok and hint in verdict.message
