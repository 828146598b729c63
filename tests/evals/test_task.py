"""The eval task: a fresh team per run, its trace in the case's span tree, what evaluators compare."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import (
    ArgumentCorrectness,
    EqualsExpected,
    HasMatchingSpan,
    MaxModelRequests,
    MaxToolCalls,
    ToolCorrectness,
    TrajectoryMatch,
)

from agentnb import Agent, Team
from agentnb.core.result import TeamResult
from agentnb.evals import AgentTask, CaseJob, LocalBackend, evaluate_sync, run_of
from agentnb.evals.task import ensure_tracing
from agentnb.models import FunctionModel, ScriptedModel

from .conftest import desk, homework, trip


def one_case(evaluators, inputs="What is 17 + 25?", **case) -> Dataset:
    return Dataset(name="one", cases=[Case(name="c", inputs=inputs, **case)], evaluators=evaluators)


def results(report, case="c"):
    """(assertions, scores) of the case's first run, as {name: (value, reason)}."""
    run = report.case(case).runs[0]
    return {k: (v.value, v.reason) for k, v in {**run.assertions, **run.scores}.items()}


# ----- pydantic-evals' span evaluators on agentnb runs ------------------------------------------


def test_span_evaluators_read_the_tool_calls_of_a_team_run():
    evaluators = [
        ToolCorrectness(["calculate"]),
        TrajectoryMatch(["calculate"], order="exact"),
        MaxToolCalls(1),
        MaxModelRequests(3),
        HasMatchingSpan({"name_equals": "execute_tool calculate"}, evaluation_name="calculator span"),
    ]
    report = evaluate_sync(homework, one_case(evaluators), repeat=1, progress=False)
    found = results(report)
    assert found["ToolCorrectness"][0] is True
    assert found["TrajectoryMatch"][0] == 1.0
    assert found["MaxToolCalls"] == (True, "1 tool call(s), budget=1")
    # solver: a tool call, then its answer; checker: one reply
    assert found["MaxModelRequests"] == (True, "3 model request(s) (from ctx.metrics['requests']), budget=3")
    assert found["calculator span"][0] is True


def test_span_evaluators_fail_with_what_the_team_actually_did():
    evaluators = [
        ToolCorrectness(["search"]),
        TrajectoryMatch(["calculate", "calculate"], order="exact"),
        MaxToolCalls(0),
        MaxModelRequests(2),
        HasMatchingSpan({"name_equals": "execute_tool search"}),
    ]
    report = evaluate_sync(homework, one_case(evaluators), repeat=1, progress=False)
    found = results(report)
    assert found["ToolCorrectness"] == (
        False,
        "missing tools: 'search' (x1); unexpected tools: 'calculate' (x1)",
    )
    assert found["TrajectoryMatch"][0] == 0.0
    assert found["MaxToolCalls"] == (False, "1 tool call(s), budget=0")
    assert found["MaxModelRequests"][0] is False
    assert found["HasMatchingSpan"][0] is False
    assert report.pass_rate.passed == 0


def test_span_evaluators_see_a_handoff_as_its_transfer_tool():
    evaluators = [
        ToolCorrectness(["lookup_invoice", "transfer_to_billing"]),
        TrajectoryMatch(["transfer_to_billing", "lookup_invoice"], order="exact"),
        MaxToolCalls(2),
        MaxModelRequests(3),
        HasMatchingSpan(
            {"name_equals": "invoke_agent triage", "has_attributes": {"agentnb.handoff.target": "billing"}}
        ),
    ]
    report = evaluate_sync(desk, one_case(evaluators, inputs="refund please"), repeat=1, progress=False)
    assert all(value in (True, 1.0) for value, _ in results(report).values()), results(report)


def test_span_evaluators_read_a_plan_mode_run():
    evaluators = [
        ToolCorrectness([]),
        MaxToolCalls(0),
        MaxModelRequests(4),  # four steps, one model call each (the plan was given, not drafted)
        HasMatchingSpan({"name_equals": "step itinerary"}, evaluation_name="itinerary step"),
        HasMatchingSpan(
            {"name_equals": "invoke_workflow trip", "min_child_count": 4}, evaluation_name="four steps"
        ),
    ]
    report = evaluate_sync(trip, one_case(evaluators, inputs="Plan a weekend"), repeat=1, progress=False)
    found = results(report)
    assert all(value is True for value, _ in found.values()), found


def test_tool_arguments_reach_the_spans_when_they_stay_in_this_process():
    assert ensure_tracing()  # the tests set no tracer provider of their own: agentnb's is in place
    right = ArgumentCorrectness("calculate", {"expression": "17 + 25"})
    wrong = ArgumentCorrectness("calculate", {"expression": "1 + 1"}, evaluation_name="wrong")
    report = evaluate_sync(homework, one_case([right, wrong]), repeat=1, progress=False)
    found = results(report)
    assert found["ArgumentCorrectness"][0] is True
    assert found["wrong"][0] is False and "expected '1 + 1', got '17 + 25'" in found["wrong"][1]


def test_content_stays_off_the_spans_when_asked():
    report = evaluate_sync(
        homework,
        one_case([ArgumentCorrectness("calculate", {"expression": "17 + 25"})]),
        repeat=1,
        progress=False,
        capture_content=False,
    )
    value, reason = results(report)["ArgumentCorrectness"]
    assert value is False and "arguments not available" in reason


# ----- what the task runs and returns -----------------------------------------------------------


def test_each_run_gets_a_fresh_team_and_the_seed_of_its_repeat():
    seeds: list[int] = []

    def build(seed: int) -> Team:
        seeds.append(seed)
        return homework(seed)

    report = evaluate_sync(build, one_case([]), repeat=3, progress=False)
    assert sorted(seeds) == [0, 1, 2]
    assert [r.attributes["agentnb.seed"] for r in report.case("c").runs] == [0, 1, 2]
    assert len({id(report.result("c", n)) for n in (1, 2, 3)}) == 3


def test_a_factory_whose_seed_has_a_default_still_gets_the_seed():
    seeds: list[int] = []

    def build(seed: int = 0) -> Team:
        seeds.append(seed)
        return homework(seed)

    evaluate_sync(build, one_case([]), repeat=3, progress=False)
    assert sorted(seeds) == [0, 1, 2]


def test_a_factory_without_arguments_is_called_for_every_run():
    calls = []

    def build() -> Team:
        calls.append(1)
        return homework()

    evaluate_sync(build, one_case([]), repeat=2, progress=False)
    assert len(calls) == 2


def test_a_team_is_forked_per_run_and_keeps_no_transcript():
    team = homework()
    report = evaluate_sync(team, one_case([EqualsExpected()], expected_output="CORRECT"), progress=False)
    assert report.pass_rate.passed == 5 and len(team.transcript) == 0


def test_an_agent_is_evaluated_alone_for_one_turn():
    agent = Agent("echo", model=FunctionModel(lambda request: request.messages[-1]["content"].upper()))
    report = evaluate_sync(agent, one_case([EqualsExpected()], inputs="hi", expected_output="HI"), repeat=2)
    assert report.pass_rate.passed == 2
    assert report.result("c").participants == ["echo"]


def test_a_shared_script_is_refused_with_the_fix():
    team = Team([Agent("a")], model=ScriptedModel({"a": ["one"]}))
    with pytest.raises(ValueError, match=r"concurrent cases would take each other.s replies.*lambda"):
        evaluate_sync(team, one_case([]))
    looping = Team([Agent("a")], model=ScriptedModel({"a": ["one"]}, loop=True))
    assert evaluate_sync(looping, one_case([]), repeat=2, progress=False).pass_rate.runs == 2


def test_structured_output_is_what_evaluators_compare():
    class Answer(BaseModel):
        value: int

    def build() -> Agent:
        return Agent("solver", output_type=Answer, model=ScriptedModel({"solver": [{"json": {"value": 42}}]}))

    report = evaluate_sync(build, one_case([EqualsExpected()], expected_output=Answer(value=42)), repeat=1)
    assert report.pass_rate.passed == 1


def test_prompt_and_output_adapt_other_inputs_and_outputs():
    dataset = one_case([EqualsExpected()], inputs={"a": 17, "b": 25}, expected_output=42)
    report = evaluate_sync(
        homework,
        dataset,
        repeat=1,
        prompt=lambda inputs: f"What is {inputs['a']} + {inputs['b']}?",
        output=lambda result: int(result.chat()[1].content.split()[-1].rstrip(".")),
    )
    assert report.pass_rate.passed == 1


def test_inputs_that_are_no_task_say_how_to_adapt_them():
    report = evaluate_sync(homework, one_case([], inputs=17), repeat=1, progress=False)
    (failure,) = report.report.failures
    assert "pass prompt=<function of the inputs>" in failure.error_message


def test_a_run_that_fails_is_a_failed_case_with_its_reason():
    broken = Team([Agent("a")], model=FunctionModel(lambda request: 1 / 0))
    report = evaluate_sync(broken, one_case([]), repeat=2, progress=False)
    assert report.pass_rate.text().startswith("0/2") and report.case("c").errors == 2
    assert "division by zero" in report.text()


def test_run_of_gives_the_team_run_to_an_evaluator_of_your_own():
    from dataclasses import dataclass

    from pydantic_evals.evaluators import Evaluator

    @dataclass
    class CheckerHadTheLastWord(Evaluator):
        def evaluate(self, ctx) -> bool:
            return run_of(ctx).chat()[-1].source == "checker"

    report = evaluate_sync(homework, one_case([CheckerHadTheLastWord()]), repeat=1)
    assert report.pass_rate.passed == 1


def test_a_backend_decides_where_runs_happen():
    class Counting(LocalBackend):
        max_concurrency = 1

        def __init__(self) -> None:
            self.jobs: list[CaseJob] = []

        async def run(self, job: CaseJob) -> TeamResult:
            self.jobs.append(job)
            return await super().run(job)

    backend = Counting()
    report = evaluate_sync(homework, one_case([]), repeat=3, backend=backend, progress=False)
    assert [job.seed for job in backend.jobs] == [0, 1, 2]
    assert {job.task for job in backend.jobs} == {"What is 17 + 25?"}
    assert report.pass_rate.runs == 3


def test_a_task_names_itself_after_the_team():
    assert AgentTask(homework()).__name__ == "homework"
    assert AgentTask(homework).__name__ == "homework"
    assert AgentTask(lambda: homework()).__name__ == "team"


def test_bad_subjects_and_options_are_refused_before_anything_runs():
    with pytest.raises(TypeError, match="a Team, an Agent or a function"):
        evaluate_sync("homework", one_case([]))
    with pytest.raises(TypeError, match="takes 2 arguments"):
        evaluate_sync(lambda a, b: None, one_case([]))
    with pytest.raises(ValueError, match="repeat: expected a whole number >= 1"):
        evaluate_sync(homework, one_case([]), repeat=0)
    with pytest.raises(TypeError, match="unknown option 'repeats'"):
        evaluate_sync(homework, one_case([]), repeats=3)
    with pytest.raises(TypeError, match="not a pydantic-evals Evaluator"):
        evaluate_sync(homework, one_case([]), evaluators=[lambda ctx: True])
    report = evaluate_sync(lambda: "team", one_case([]), repeat=1, progress=False)
    assert "must be a Team or an Agent, got str" in report.report.failures[0].error_message


def test_runs_emit_spans_only_when_an_evaluator_may_read_them():
    from agentnb.evals.evaluators import SpeakerOrder
    from agentnb.evals.run import needs_spans

    assert not needs_spans([EqualsExpected(), SpeakerOrder(["a"])])
    assert needs_spans([EqualsExpected(), ToolCorrectness(["calculate"])])

    class Mine(EqualsExpected):
        pass

    assert needs_spans([Mine()])  # a subclass may read anything


@pytest.mark.parametrize("build", [homework, desk, trip], ids=["tools", "handoff", "plan"])
def test_request_and_token_metrics_are_the_same_with_or_without_spans(build):
    dataset = one_case([], inputs="What is 17 + 25?")
    with_spans = evaluate_sync(build, dataset, repeat=1, spans=True).case("c").runs[0].metrics
    without = evaluate_sync(build, dataset, repeat=1, spans=False).case("c").runs[0].metrics
    assert with_spans == without and with_spans["requests"] > 0


def test_a_dataset_file_may_name_agentnb_evaluators(tmp_path):
    from agentnb.evals import SpeakerOrder
    from agentnb.evals.evaluators import EVALUATORS

    path = tmp_path / "sums.yaml"
    dataset = Dataset[Any, Any, Any](name="sums", cases=[Case(name="c", inputs="What is 17 + 25?")])
    dataset.add_evaluator(SpeakerOrder(["solver", "checker"]))
    dataset.to_file(path, custom_evaluator_types=EVALUATORS)
    report = evaluate_sync(homework, path, repeat=1, progress=False)
    assert report.dataset == "sums" and report.case("c").assertions["SpeakerOrder"].passed == 1
    with pytest.raises(FileNotFoundError, match="no dataset file"):
        evaluate_sync(homework, tmp_path / "missing.yaml")
