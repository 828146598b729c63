"""Plan mode: decompose, run independent steps in parallel, retry, replan, give up cleanly."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from agentnb import Agent, Team
from agentnb.core.events import PlanCreated, Replanned, StepFailed, StepFinished, StepStarted, TextMessage
from agentnb.core.plan import Plan, PlanError, Step
from agentnb.models import FunctionModel, ScriptedModel


def steps(*specs):
    return {
        "steps": [
            {"id": i, "description": d, "assignee": a, "depends_on": list(deps)} for i, d, a, deps in specs
        ]
    }


TRIP = steps(
    ("flights", "find flights", "scout", ()),
    ("hotels", "find hotels", "scout", ()),
    ("food", "find food", "scout", ()),
    ("itinerary", "combine everything", "writer", ("flights", "hotels", "food")),
)


def of(result, kind):
    return [e for e in result.messages if isinstance(e, kind)]


def worker(latency: float = 0.1, fail: set[str] | None = None):
    async def reply(request):
        if request.agent == "planner":
            return {"json": TRIP}
        step_line = request.messages[-1]["content"].splitlines()[0]
        step_id = step_line.split("(")[1].split(")")[0]
        await asyncio.sleep(latency)
        if fail and step_id in fail:
            raise ValueError(f"{step_id} is broken")
        return f"{request.agent} finished {step_id}; saw: {request.messages[-1]['content'][-60:]}"

    return FunctionModel(reply)


def test_independent_steps_run_in_parallel_and_dependents_see_their_results():
    team = Team([Agent("scout"), Agent("writer")], mode="plan", model=worker(0.2))
    result = team.run_sync("Plan a weekend in Lisbon")
    assert result.stop_reason == "plan finished: 4 steps done"
    started = {e.step_id: e.at for e in of(result, StepStarted)}
    finished = {e.step_id: e.at for e in of(result, StepFinished)}
    # the three searches overlap; the itinerary starts after all of them
    assert max(started[s] for s in ("flights", "hotels", "food")) < min(
        finished[s] for s in ("flights", "hotels", "food")
    )
    assert started["itinerary"] >= max(finished[s] for s in ("flights", "hotels", "food"))
    final = next(e for e in result.chat() if e.step == "itinerary")
    assert "flights: scout finished flights" in final.content or "food:" in final.content
    assert result.final.startswith("writer finished itinerary")
    assert of(result, PlanCreated)[0].plan.levels() == 2


def test_max_parallel_bounds_how_many_steps_run_at_once():
    plan = Plan(steps=[Step(id=f"s{i}", description="work", assignee="w") for i in range(6)])
    running, peak = 0, 0

    async def reply(request):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return "ok"

    team = Team([Agent("w")], mode="plan", planner=plan, max_parallel=2, model=FunctionModel(reply))
    result = team.run_sync("go")
    assert peak == 2 and len(of(result, StepFinished)) == 6


def test_a_failing_step_is_retried_then_replanned_and_finished_steps_are_kept():
    attempts = {"hotels": 0}
    replanned = steps(
        ("hotels2", "find hotels another way", "writer", ()),
        ("itinerary", "combine", "writer", ("flights", "hotels2", "food")),
    )

    async def reply(request):
        content = request.messages[-1]["content"]
        if request.agent == "planner":
            return {"json": replanned if "failed" in content else TRIP}
        step_id = content.splitlines()[0].split("(")[1].split(")")[0]
        if step_id == "hotels":
            attempts["hotels"] += 1
            raise ValueError("the hotel site is down")
        return f"done {step_id}"

    team = Team([Agent("scout"), Agent("writer")], mode="plan", model=FunctionModel(reply), step_retries=1)
    result = team.run_sync("Plan a trip")
    failures = of(result, StepFailed)
    assert [(f.step_id, f.retrying) for f in failures] == [("hotels", True), ("hotels", False)]
    assert "the hotel site is down" in failures[0].error
    replan = of(result, Replanned)[0]
    assert set(replan.kept) == {"flights", "food"} and replan.revision == 1
    assert [s.id for s in replan.plan.steps][-2:] == ["hotels2", "itinerary"]
    assert result.stop_reason == "plan finished: 4 steps done"
    assert attempts["hotels"] == 2


def test_a_step_that_always_fails_ends_the_run_after_the_replan_limit():
    team = Team(
        [Agent("scout"), Agent("writer")],
        mode="plan",
        model=worker(0, fail={"hotels"}),
        max_replans=2,
        step_retries=0,
    )
    result = team.run_sync("Plan a trip")
    assert result.stop_reason.startswith("gave up after 2 replans: step 'hotels' kept failing")
    assert len(of(result, Replanned)) == 2


def test_a_fixed_plan_that_fails_stops_with_a_reason_instead_of_replanning():
    plan = Plan(steps=[Step(id="only", description="do it", assignee="w")])

    def reply(request):
        raise ValueError("broken tool")

    result = Team(
        [Agent("w")], mode="plan", planner=plan, model=FunctionModel(reply), step_retries=0
    ).run_sync("go")
    assert "the plan is fixed" in result.stop_reason and "broken tool" in result.stop_reason


def test_checks_and_expected_outputs_fail_a_step_that_does_not_deliver():
    class Budget(BaseModel):
        total: int

    plan = Plan(
        steps=[
            Step(id="words", description="say hi", assignee="w", check="hello"),
            Step(
                id="money",
                description="give a budget",
                assignee="w",
                expected_output=Budget,
                check=lambda b: b.total < 100 or "too expensive",
            ),
        ]
    )
    model = ScriptedModel({"w": ["hi there", '{"total": 500}', "hi again", '{"total": 900}']})
    result = Team([Agent("w")], mode="plan", planner=plan, model=model, step_retries=1).run_sync("go")
    errors = {(f.step_id, f.error) for f in of(result, StepFailed)}
    assert ("words", "the result does not contain 'hello'") in errors
    assert ("money", "too expensive") in errors


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        (
            lambda: Plan(steps=[Step(id="a", description="x", assignee="w", depends_on=["b"])]),
            "depends on 'b'",
        ),
        (
            lambda: Plan(
                steps=[
                    Step(id="a", description="x", assignee="w", depends_on=["b"]),
                    Step(id="b", description="y", assignee="w", depends_on=["a"]),
                ]
            ),
            "step 'a' is in a cycle: a -> b -> a",
        ),
        (lambda: Plan(steps=[Step(id="a", description="x", assignee="w")] * 2), "appears twice"),
        (lambda: Plan(steps=[]), "no steps"),
        (
            lambda: Team(
                [Agent("w")],
                mode="plan",
                planner=Plan(steps=[Step(id="a", description="x", assignee="ghost")]),
            ),
            "assigned to 'ghost'",
        ),
    ],
)
def test_plans_that_cannot_run_are_clear_errors_naming_the_step(plan, words):
    with pytest.raises(PlanError, match=words):
        plan()


def test_a_planner_that_writes_a_cycle_is_told_and_asked_again():
    drafts = iter([steps(("a", "x", "w", ("b",)), ("b", "y", "w", ("a",))), steps(("a", "x", "w", ()))])

    def reply(request):
        if request.agent == "planner":
            return {"json": next(drafts)}
        return "done"

    result = Team([Agent("w")], mode="plan", model=FunctionModel(reply)).run_sync("go")
    assert result.stop_reason == "plan finished: 1 step done"
    feedback = [e for e in result.messages if e.type == "error" and e.source == "planner"]
    assert "cycle" in feedback[0].content


def test_a_plan_run_stopped_part_way_resumes_the_remaining_steps():
    team = Team([Agent("scout"), Agent("writer")], mode="plan", model=worker(0.01), max_turns=3)
    first = team.run_sync("Plan a trip")
    assert first.stop_reason == "max turns reached (3)"
    done_first = {e.step_id for e in of(first, StepFinished)}
    second = team.run_sync()
    done_second = {e.step_id for e in of(second, StepFinished)}
    assert done_first | done_second == {"flights", "hotels", "food", "itinerary"}
    assert not of(second, PlanCreated)


def test_a_plan_can_be_forked_at_a_step_and_continued():
    team = Team([Agent("scout"), Agent("writer")], mode="plan", model=worker(0.01))
    team.run_sync("Plan a trip")
    k = team.checkpoints.find(kind=StepStarted)[-1]  # before the itinerary step starts
    fork = team.fork(k)
    result = fork.run_sync()
    assert [e.step_id for e in of(result, StepFinished)][-1] == "itinerary"
    assert not [e for e in fork.transcript[k:] if isinstance(e, PlanCreated)]


def test_step_events_are_tagged_with_their_step():
    result = Team([Agent("scout"), Agent("writer")], mode="plan", model=worker(0)).run_sync("Plan")
    replies = [e for e in result.messages if isinstance(e, TextMessage) and e.source in ("scout", "writer")]
    assert {e.step for e in replies} == {"flights", "hotels", "food", "itinerary"}


def test_a_steps_prerequisites_are_what_it_waits_for_directly_or_through_others():
    plan = Plan(
        steps=[
            Step(id="a", description="a", assignee="x"),
            Step(id="b", description="b", assignee="x", depends_on=["a"]),
            Step(id="c", description="c", assignee="x"),
            Step(id="d", description="d", assignee="x", depends_on=["b"]),
        ]
    )
    assert plan.prerequisites("d") == {"a", "b"}
    assert plan.prerequisites("c") == set()


def test_a_planners_plan_reads_as_a_numbered_list_of_steps_in_the_chat():
    team = Team([Agent("scout"), Agent("writer")], mode="plan", planner=Agent("planner"), model=worker(0))
    planned = next(m for m in of(team.run_sync("Plan a trip."), TextMessage) if m.source == "planner")
    assert planned.content.splitlines() == [
        "Plan of 4 steps:",
        "",
        "1. **flights** → scout: find flights",
        "2. **hotels** → scout: find hotels",
        "3. **food** → scout: find food",
        "4. **itinerary** → writer, after flights, hotels and food: combine everything",
    ]
    assert planned.data == TRIP  # the JSON is still there for code
