"""Lesson 02's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import pytest

from agentnb import Agent, DraftStep, Plan, PlanDraft, Step, Team
from agentnb.core.events import Replanned, StepFailed
from agentnb.course import check
from agentnb.models import AutoModel, ScriptedModel, call

# ----- 02.1: fan out, then join -------------------------------------------------------------


def newsletter(depends: dict[str, list[str]]) -> Team:
    ids = ("sports", "weather", "events", "issue")
    plan = Plan(
        steps=[
            Step(
                id=i,
                description=f"write {i}",
                assignee="editor" if i == "issue" else "reporter",
                depends_on=depends.get(i, []),
            )
            for i in ids
        ]
    )
    return Team([Agent("reporter"), Agent("editor")], mode="plan", planner=plan, model=AutoModel(1))


def test_a_plan_that_fans_out_into_three_steps_and_joins_them_is_right():
    team = newsletter({"issue": ["sports", "weather", "events"]})
    verdict = check("02.1", team.run_sync("newsletter"))
    assert verdict.ok, verdict.message


def test_a_chain_is_told_how_many_steps_ran_at_once_and_in_what_order():
    team = newsletter({"weather": ["sports"], "events": ["weather"], "issue": ["events"]})
    verdict = check("02.1", team.run_sync("newsletter"))
    assert not verdict.ok
    assert "at most 1 step ran at the same time" in verdict.message
    assert "sports, weather, events, issue" in verdict.message


def test_steps_that_fan_out_without_a_join_are_told_to_add_one():
    verdict = check("02.1", newsletter({}).run_sync("newsletter"))
    assert not verdict.ok and "no step joins them" in verdict.message


def test_a_run_without_a_plan_or_a_team_that_never_ran_gets_a_hint_not_an_error():
    chat = Team([Agent("a")], max_turns=1, model=AutoModel(1)).run_sync("hi")
    assert "made no plan" in check("02.1", chat).message
    never_ran = check("02.1", newsletter({}))
    assert not never_ran.ok and "has not run yet" in never_ran.message
    assert "no answer yet" in check("02.1").message


# ----- 02.2: recover by replanning -----------------------------------------------------------


def flight_search(destination: str) -> str:
    """Flights."""
    raise ConnectionError("the flight search is down")


FIRST = PlanDraft(
    steps=[
        DraftStep(id="travel", description="flight", assignee="transport"),
        DraftStep(id="stay", description="hotel", assignee="lodging"),
        DraftStep(id="itinerary", description="write", assignee="writer", depends_on=["travel", "stay"]),
    ]
)


def trip(revised: list[DraftStep] | None, *, planner: bool = True) -> Team:
    """The exercise's team: the flight search is down; ``revised`` is the planner's second plan."""
    script = {
        "planner": [FIRST, PlanDraft(steps=revised or [])] if revised else [FIRST],
        "transport": [call("flight_search", destination="Lisbon")] * 2,
        "lodging": ["Casa do Bairro, 240 EUR."],
        "rail": ["Alfa Pendular, 60 EUR."],
        "writer": ["Friday: train. Saturday: Alfama."],
    }
    participants = [
        Agent("transport", tools=[flight_search], max_failures=1),
        Agent("lodging"),
        Agent("rail"),
        Agent("writer"),
    ]
    plan = FIRST.to_plan() if not planner else Agent("planner")
    return Team(
        participants, mode="plan", planner=plan, step_retries=0, max_replans=1, model=ScriptedModel(script)
    )


def test_a_revised_plan_that_routes_around_the_failure_and_joins_everything_is_right():
    team = trip(
        [
            DraftStep(id="train", description="train", assignee="rail"),
            DraftStep(id="itinerary", description="write", assignee="writer", depends_on=["train", "stay"]),
        ]
    )
    verdict = check("02.2", team.run_sync("trip"))
    assert verdict.ok, verdict.message


def test_a_revised_plan_that_gives_the_work_to_the_broken_agent_again_is_told_who_does_it():
    team = trip([DraftStep(id="travel_again", description="flight", assignee="transport")])
    verdict = check("02.2", team.run_sync("trip"))
    assert not verdict.ok
    assert "gave up after 1 replan:" in verdict.message and "Who does the failed work" in verdict.message


def test_a_revised_plan_without_the_join_step_is_told_it_replaces_all_remaining_work():
    team = trip([DraftStep(id="train", description="train", assignee="rail")])
    result = team.run_sync("trip")
    assert result.stop_reason.startswith("plan finished")
    verdict = check("02.2", result)
    assert not verdict.ok and "does not build on 'stay'" in verdict.message


def test_a_fixed_plan_that_fails_is_told_only_a_planner_agent_can_replan():
    verdict = check("02.2", trip(None, planner=False).run_sync("trip"))
    assert not verdict.ok and "without a replan" in verdict.message and "planner Agent" in verdict.message


def test_a_run_where_nothing_failed_is_not_a_recovery():
    team = Team(
        [Agent("w")],
        mode="plan",
        planner=Plan(steps=[Step(id="a", description="x", assignee="w")]),
        model=AutoModel(1),
    )
    verdict = check("02.2", team.run_sync("go"))
    assert not verdict.ok and "no step failed" in verdict.message


# ----- 02.3: which step was replanned? ------------------------------------------------------


def replanned_steps(result):
    steps, failed_for_good = [], None
    for event in result.messages:
        if isinstance(event, StepFailed) and not event.retrying:
            failed_for_good = event.step_id
        elif isinstance(event, Replanned):
            steps.append(failed_for_good)
    return steps


def test_a_function_that_pairs_each_replan_with_its_final_failure_is_right():
    verdict = check("02.3", replanned_steps)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(
    ("wrong", "story"),
    [
        (lambda result: [], "failed for good and the planner replanned"),
        (
            lambda result: [e.step_id for e in result.messages if isinstance(e, StepFailed)],
            "failed once and then succeeded on its retry",
        ),
        (
            lambda result: [
                e.step_id for e in result.messages if isinstance(e, StepFailed) and not e.retrying
            ],
            "the team gave up without a replan",
        ),
    ],
)
def test_a_function_that_misreads_the_events_is_shown_the_run_it_got_wrong(wrong, story):
    verdict = check("02.3", wrong)
    assert not verdict.ok and story in verdict.message


def test_an_answer_that_is_not_a_function_or_that_raises_gets_a_hint():
    assert "not a function" in check("02.3", "eat").message

    def broken(result):
        raise KeyError("steps")

    verdict = check("02.3", broken)
    assert not verdict.ok and "KeyError" in verdict.message
