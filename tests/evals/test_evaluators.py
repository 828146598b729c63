"""Multi-agent evaluators on real runs: speaking order, handoffs, turns, tokens, stop reason, plan shape."""

from __future__ import annotations

from pydantic_evals import Case, Dataset

from agentnb import Agent, Team
from agentnb.core.plan import Plan, Step
from agentnb.evals import (
    HandoffsTaken,
    PlanShape,
    SpeakerOrder,
    StopReason,
    TokensAtMost,
    TurnsAtMost,
    evaluate_sync,
    run_facts,
)
from agentnb.evals.facts import plan_facts
from agentnb.models import FunctionModel, ScriptedModel

from .conftest import TRIP, desk, homework, trip


def scored(subject, evaluators, inputs="What is 17 + 25?") -> dict[str, tuple[object, str]]:
    """{evaluator name: (value, reason)} for one run of one case."""
    dataset = Dataset(name="one", cases=[Case(name="c", inputs=inputs)], evaluators=evaluators)
    report = evaluate_sync(subject, dataset, repeat=1, progress=False)
    run = report.case("c").runs[0]
    return {name: (result.value, result.reason) for name, result in run.assertions.items()}


def test_speaker_order_passes_the_order_the_team_spoke_in():
    found = scored(
        homework,
        [
            SpeakerOrder(["solver", "checker"]),
            SpeakerOrder(["checker"], order="in_order", evaluation_name="checker spoke"),
        ],
    )
    assert found["SpeakerOrder"] == (True, "spoke: solver → checker")
    assert found["checker spoke"][0] is True


def test_speaker_order_fails_with_who_actually_spoke():
    found = scored(
        homework,
        [
            SpeakerOrder(["checker", "solver"]),
            SpeakerOrder(["solver", "solver"], order="in_order", evaluation_name="solver twice"),
        ],
    )
    assert found["SpeakerOrder"] == (False, "spoke: solver → checker; expected exactly checker → solver")
    assert found["solver twice"] == (False, "spoke: solver → checker; expected solver → solver")


def test_handoffs_taken_matches_source_and_target_or_target_alone():
    found = scored(
        desk,
        [
            HandoffsTaken(["triage -> billing"]),
            HandoffsTaken(["billing"], evaluation_name="to billing"),
            HandoffsTaken(["billing"], exact=False, evaluation_name="at least"),
        ],
        inputs="refund please",
    )
    assert found["HandoffsTaken"] == (True, "handoffs: triage->billing")
    assert found["to billing"][0] is True and found["at least"][0] is True


def test_handoffs_taken_fails_on_the_wrong_route_or_none():
    found = scored(
        desk,
        [
            HandoffsTaken(["triage->tech"]),
            HandoffsTaken([], evaluation_name="none"),
            HandoffsTaken(["billing", "triage"], exact=False, evaluation_name="two"),
        ],
        inputs="refund please",
    )
    assert found["HandoffsTaken"] == (False, "handoffs: triage->billing; expected triage->tech")
    assert found["none"] == (False, "handoffs: triage->billing; expected none")
    assert found["two"][0] is False
    assert scored(homework, [HandoffsTaken([])])["HandoffsTaken"] == (True, "handoffs: none")


def test_turns_and_tokens_at_most():
    found = scored(
        homework,
        [
            TurnsAtMost(2),
            TurnsAtMost(1, evaluation_name="one turn"),
            TokensAtMost(10_000),
            TokensAtMost(5, evaluation_name="tiny"),
        ],
    )
    assert found["TurnsAtMost"] == (True, "2 turns (at most 2)")
    assert found["one turn"] == (False, "2 turns (at most 1)")
    assert found["TokensAtMost"][0] is True
    assert found["tiny"][0] is False and found["tiny"][1].endswith("tokens (at most 5)")


def test_stop_reason_reads_why_the_run_ended():
    found = scored(homework, [StopReason("CORRECT"), StopReason("max turns", evaluation_name="ran out")])
    assert found["StopReason"] == (True, "stopped: checker said 'CORRECT'")
    assert found["ran out"] == (False, "stopped: checker said 'CORRECT'")


def test_plan_shape_sees_the_fan_out():
    found = scored(
        trip,
        [
            PlanShape(min_parallel=3, max_steps=4, max_replans=0),
            PlanShape(min_parallel=4, evaluation_name="wider"),
            PlanShape(min_steps=5, evaluation_name="longer"),
        ],
        inputs="Plan a weekend",
    )
    assert found["PlanShape"] == (True, "plan: 4 steps in 2 levels, up to 3 in parallel")
    assert found["wider"] == (
        False,
        "plan: 4 steps in 2 levels, up to 3 in parallel (fewer than 4 in parallel)",
    )
    assert found["longer"][0] is False and "fewer than 5 steps" in found["longer"][1]


def test_a_chain_does_not_count_as_fanning_out():
    chain = Plan(
        steps=[
            Step(id="a", description="first", assignee="scout"),
            Step(id="b", description="then", assignee="scout", depends_on=["a"]),
            Step(id="c", description="last", assignee="writer", depends_on=["b"]),
        ]
    )
    found = scored(lambda: trip(plan=chain), [PlanShape(min_parallel=2)], inputs="go")
    assert found["PlanShape"] == (
        False,
        "plan: 3 steps in 3 levels, up to 1 in parallel (fewer than 2 in parallel)",
    )


def test_plan_shape_fails_a_run_without_a_plan():
    found = scored(homework, [PlanShape(min_parallel=3)])
    assert found["PlanShape"] == (False, "the run made no plan (is the team in plan mode?)")


def test_a_replanned_run_counts_its_replans():
    attempts = {"n": 0}

    def reply(request):
        if request.agent == "planner":
            attempts["n"] += 1
            steps = [{"id": "s1", "description": "work", "assignee": "w", "depends_on": []}]
            return {"json": {"steps": steps}}
        raise ValueError("broken")

    team = Team(
        [Agent("w")],
        mode="plan",
        planner=Agent("planner"),
        model=FunctionModel(reply),
        max_replans=1,
        step_retries=0,
    )
    result = team.run_sync("go")
    assert run_facts(result).plan.replans == 1


def test_the_facts_of_a_run():
    run = run_facts(desk().run_sync("refund please"))
    assert (run.speakers, run.handoffs, run.turns) == (["triage", "billing"], ["triage->billing"], 2)
    assert run.tokens > 0 and run.plan is None
    assert plan_facts(TRIP).text() == "4 steps in 2 levels, up to 3 in parallel"


def test_evaluators_on_a_task_that_is_no_agentnb_run_say_so():
    dataset = Dataset(name="plain", cases=[Case(name="c", inputs="x")], evaluators=[SpeakerOrder(["a"])])
    report = dataset.evaluate_sync(lambda inputs: inputs, progress=False)
    result = report.cases[0].assertions["SpeakerOrder"]
    assert result.value is False and "no agentnb run in this case" in result.reason


def test_a_scripted_team_of_one_speaks_alone():
    build = lambda: Team([Agent("a")], model=ScriptedModel({"a": ["hi"]}), max_turns=1)  # noqa: E731
    assert scored(build, [SpeakerOrder(["a"])], inputs="go")["SpeakerOrder"][0] is True
