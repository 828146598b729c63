"""Lesson 00's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import pytest

from agentnb import Agent, Team
from agentnb.apps.demo import NEWSROOM_TASK, search_archive
from agentnb.course import check
from agentnb.models import AutoModel

# ----- 00.1: check before you approve -------------------------------------------------------


def newsroom_run(*order: str, max_turns: int = 12):
    agents = {
        "writer": Agent("writer"),
        "fact_checker": Agent("fact_checker", tools=[search_archive]),
        "editor": Agent("editor"),
        "publisher": Agent("publisher"),
    }
    team = Team([agents[n] for n in order], until="PUBLISHED", max_turns=max_turns, model="scripted:newsroom")
    return team.run_sync(NEWSROOM_TASK)


def test_a_newsroom_whose_checker_reads_each_draft_before_the_editor_is_right():
    verdict = check("00.1", newsroom_run("writer", "fact_checker", "editor", "publisher"))
    assert verdict.ok, verdict.message


def test_an_editor_who_speaks_before_the_checker_is_told_the_order_matters():
    verdict = check("00.1", newsroom_run("writer", "editor", "fact_checker", "publisher"))
    assert not verdict.ok
    assert "nobody had checked the draft it approved" in verdict.message
    assert "order you list them" in verdict.message


def test_a_newsroom_without_its_checker_is_told_nobody_looked_anything_up():
    verdict = check("00.1", newsroom_run("writer", "editor", "publisher"))
    assert not verdict.ok and "no search_archive call" in verdict.message


def test_a_run_that_did_not_publish_is_told_to_run_to_the_end():
    verdict = check("00.1", newsroom_run("writer", "fact_checker", "editor", "publisher", max_turns=3))
    assert not verdict.ok and "was not published (max turns reached (3))" in verdict.message


# ----- 00.2: your first cell ----------------------------------------------------------------


def first_cell(*names: str, turns: int):
    team = Team([Agent(n, f"You are {n}.") for n in names], max_turns=turns, model=AutoModel())
    return team.run_sync("Write a three-line poem about the sea, one line each.")


def test_three_agents_of_ones_own_that_each_speak_once_are_right():
    verdict = check("00.2", first_cell("first_poet", "second_poet", "third_poet", turns=3))
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(
    ("names", "turns", "hint"),
    [
        (("first_poet",), 3, "1 agent spoke (first_poet)"),
        (("first_poet", "second_poet"), 2, "2 agents spoke"),
        (("first_poet", "second_poet", "third_poet"), 5, "first_poet, second_poet spoke more than once"),
        (("writer", "fact_checker", "editor", "publisher"), 4, "that is the newsroom"),
    ],
)
def test_a_cell_with_too_few_agents_repeats_or_the_newsroom_gets_a_hint(names, turns, hint):
    verdict = check("00.2", first_cell(*names, turns=turns))
    assert not verdict.ok and hint in verdict.message


def test_something_that_is_not_a_run_gets_a_hint_not_an_error():
    verdict = check("00.2", "mine")
    assert not verdict.ok and "needs the result your %%agentteam cell kept" in verdict.message
